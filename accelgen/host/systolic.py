"""The systolic unit from the host: ``matmul(A, W)`` for any M x K x N, tiled onto the
array (K split at ``max_depth`` or the array's rows, the partial sums added here).
An olive operand is given as the integers its OVP-4 codes stand for (golden/olive.py's
``Encoded.integers()``); the driver encodes them, pairs along K."""

import numpy as np

from accelgen.golden.integers import check_range
from accelgen.golden.systolic import operand_elements
from accelgen.payload import last_flags, pack, padded, unpack

from .unit_driver import UnitDriver


class SystolicDriver(UnitDriver):

    def matmul(self, a, w) -> np.ndarray:
        """A (M x K) times W (K x N), exact as int64. Each tile's sum is the unit's:
        it wraps at ``accumulator_width`` bits if the config narrows the accumulator."""
        config = self.config
        a, w = self._operand(a, "activation", "matmul A"), self._operand(w, "weight", "matmul W")
        if a.ndim != 2 or w.ndim != 2 or a.shape[1] != w.shape[0] or 0 in a.shape + w.shape:
            raise ValueError(f"matmul: shapes {a.shape} and {w.shape} do not multiply")
        if config.any_olive and a.shape[1] % 2:
            # OVP pairs along K: a zero completes the last one
            a, w = padded(a, (a.shape[0], a.shape[1] + 1)), padded(w, (w.shape[0] + 1, w.shape[1]))
        if config.output_stationary:
            return self._output_stationary(a, w)
        return self._weight_stationary(a, w)

    def _operand(self, values, which: str, what: str) -> np.ndarray:
        config = self.config
        if config.olive(which):
            # any integers here (64 bits: no limit of ours); operand_elements checks that
            # they are OVP values in valid pairs
            return check_range(values, 64, True, what)
        return check_range(values, getattr(config, f"{which}_bits"), config.signed, what)

    def _output_stationary(self, a, w):
        config = self.config
        rows, cols, steps = config.rows, config.cols, config.beat_steps
        depth = min(config.reduction_depth, a.shape[1])
        jobs, words = [], []
        for i in range(0, a.shape[0], rows):
            for j in range(0, w.shape[1], cols):
                for k in range(0, a.shape[1], depth):
                    tile_a = padded(a[i:i + rows, k:k + depth].T, (min(depth, a.shape[1] - k), rows))
                    tile_w = padded(w[k:k + depth, j:j + cols], (len(tile_a), cols))
                    words += pack(self.input_layouts["operands"], {
                        "a": operand_elements(config, "activation", tile_a, steps, "matmul A"),
                        "w": operand_elements(config, "weight", tile_w, steps, "matmul W"),
                        "last": last_flags(len(tile_a) // steps)})
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
        rows, cols, steps = config.rows, config.cols, config.beat_steps
        # K in tiles of the array's rows; of whole OVP pairs where an operand is olive
        depth = rows - rows % 2 if config.any_olive else rows
        lanes = self.input_layouts["activations"].members["a"].length
        weights, activations, jobs = [], [], []
        for k in range(0, a.shape[1], depth):
            for j in range(0, w.shape[1], cols):
                tile = padded(w[k:k + depth, j:j + cols], (min(depth, a.shape[1] - k), cols))
                weights += pack(self.input_layouts["weights"], {
                    "w": operand_elements(config, "weight", tile, steps, "matmul W"),
                    "last": last_flags(len(tile) // steps)})
                vectors = padded(a[:, k:k + depth], (a.shape[0], lanes))
                activations += pack(self.input_layouts["activations"], {
                    "a": operand_elements(config, "activation", vectors, 1, "matmul A"),
                    "last": last_flags(len(vectors))})
                jobs.append(j)
        results = self.run({"weights": weights, "activations": activations},
                           {"result": a.shape[0] * len(jobs)})["result"]
        y = unpack(self.output_layouts["result"], results)["y"].reshape(len(jobs), a.shape[0], cols)
        out = np.zeros((a.shape[0], w.shape[1]), dtype=np.int64)
        for j, block in zip(jobs, y):
            width = min(cols, w.shape[1] - j)
            out[:, j:j + width] += block[:, :width]
        return out
