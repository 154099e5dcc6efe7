"""The systolic unit from the host: ``matmul(A, W)`` for any M x K x N, tiled onto the
array (K split at ``max_depth`` or the array's rows, the partial sums added here)."""

import numpy as np

from accelgen.payload import last_flags, pack, padded, unpack

from accelgen.golden.integers import check_range

from .unit_driver import UnitDriver


class SystolicDriver(UnitDriver):

    def matmul(self, a, w) -> np.ndarray:
        """A (M x K) times W (K x N), exact as int64. Each tile's sum is the unit's:
        it wraps at ``accumulator_width`` bits if the config narrows the accumulator."""
        config = self.config
        a = check_range(a, config.activation_bits, config.signed, "matmul A")
        w = check_range(w, config.weight_bits, config.signed, "matmul W")
        if a.ndim != 2 or w.ndim != 2 or a.shape[1] != w.shape[0] or 0 in a.shape + w.shape:
            raise ValueError(f"matmul: shapes {a.shape} and {w.shape} do not multiply")
        if config.output_stationary:
            return self._output_stationary(a, w)
        return self._weight_stationary(a, w)

    def _output_stationary(self, a, w):
        config = self.config
        rows, cols = config.rows, config.cols
        depth = min(config.max_depth, a.shape[1])
        jobs, words = [], []
        for i in range(0, a.shape[0], rows):
            for j in range(0, w.shape[1], cols):
                for k in range(0, a.shape[1], depth):
                    tile_a = padded(a[i:i + rows, k:k + depth].T, (min(depth, a.shape[1] - k), rows))
                    tile_w = padded(w[k:k + depth, j:j + cols], (len(tile_a), cols))
                    words += pack(self.input_layouts["operands"],
                                  {"a": tile_a, "w": tile_w, "last": last_flags(len(tile_a))})
                    jobs.append((i, j))
        results = self.run({"operands": words}, {"result": rows * len(jobs)})["result"]
        y = unpack(self.output_layouts["result"], results)["y"].reshape(len(jobs), rows, cols)
        out = np.zeros((a.shape[0], w.shape[1]), dtype=np.int64)
        for (i, j), tile in zip(jobs, y):
            block = out[i:i + rows, j:j + cols]
            block += tile[:block.shape[0], :block.shape[1]]
        return out

    def _weight_stationary(self, a, w):
        config = self.config
        rows, cols = config.rows, config.cols
        weights, activations, jobs = [], [], []
        for k in range(0, a.shape[1], rows):
            for j in range(0, w.shape[1], cols):
                tile = padded(w[k:k + rows, j:j + cols], (min(rows, a.shape[1] - k), cols))
                weights += pack(self.input_layouts["weights"],
                                {"w": tile, "last": last_flags(len(tile))})
                vectors = padded(a[:, k:k + rows], (a.shape[0], rows))
                activations += pack(self.input_layouts["activations"],
                                    {"a": vectors, "last": last_flags(len(vectors))})
                jobs.append(j)
        results = self.run({"weights": weights, "activations": activations},
                           {"result": a.shape[0] * len(jobs)})["result"]
        y = unpack(self.output_layouts["result"], results)["y"].reshape(len(jobs), a.shape[0], cols)
        out = np.zeros((a.shape[0], w.shape[1]), dtype=np.int64)
        for j, block in zip(jobs, y):
            width = min(cols, w.shape[1] - j)
            out[:, j:j + width] += block[:, :width]
        return out
