"""The ternary unit from the host: ``load`` a ternary matrix (or the MLGRU's three),
then ``apply`` vectors; results are the unit's fixed-point integers (F fraction bits)."""

import numpy as np

from accelgen.payload import unpack
from accelgen.sim.ternary_reference import load_words, vector_words

from accelgen.golden.integers import check_range

from .unit_driver import UnitDriver
from .link import HostError

SCALE_BITS = 16


class TernaryDriver(UnitDriver):

    def load(self, weights, weight_scale: int) -> None:
        """Queue a load: T (rows x cols, entries -1/0/+1), or [W_f, W_c, W_g] with the
        MLGRU; ``weight_scale`` is ws with F fraction bits (16 bits, unsigned). The
        vectors of :meth:`apply` use it until one of them is ``final``."""
        config = self.config
        matrices = list(weights) if config.mlgru else [weights]
        if len(matrices) != config.projections:
            raise HostError(f"{self.name}.load: the MLGRU takes [W_f, W_c, W_g], got "
                            f"{len(matrices)} matrices")
        matrices = [np.asarray(matrix) for matrix in matrices]
        rows, cols = matrices[0].shape
        if any(matrix.shape != (rows, cols) or matrix.dtype.kind not in "iu"
               for matrix in matrices) or \
                not (1 <= rows <= config.max_rows and 1 <= cols <= config.max_cols) or \
                any(np.any(np.abs(matrix) > 1) for matrix in matrices):
            raise HostError(f"{self.name}.load: weights must be -1/0/+1 matrices of equal "
                            f"shape up to {config.max_rows} x {config.max_cols}, got "
                            f"{[matrix.shape for matrix in matrices]}")
        check_range(np.array([weight_scale]), SCALE_BITS, False, f"{self.name}.load weight_scale")
        self._rows, self._cols = rows, cols
        self.send("weights", load_words(config, matrices, int(weight_scale)))

    def apply(self, x, activation_scale, *, final: bool = True,
              start: bool = False) -> np.ndarray:
        """y for each row of ``x`` (n x cols, signed ``activation_bits``); one scale (F
        fraction bits) for all vectors or one per vector. ``final`` ends the load with
        the last vector; ``start`` (MLGRU) begins a sequence with the first (h = 0)."""
        config = self.config
        if not hasattr(self, "_rows"):
            raise HostError(f"{self.name}.apply: load weights first")
        x = self.vectors(x, config.activation_bits, self._cols, "apply")
        scales = np.broadcast_to(np.asarray(activation_scale), (len(x),))
        check_range(scales, SCALE_BITS, False, f"{self.name}.apply activation_scale")
        words = []
        for index, (vector, scale) in enumerate(zip(x, scales)):
            words += vector_words(config, vector, int(scale), start=start and index == 0,
                                  final=final and index == len(x) - 1)
        blocks = -(-self._rows // config.lanes_out)
        result = self.run({"activations": words}, {"result": blocks * len(x)})["result"]
        y = unpack(self.output_layouts["result"], result)["y"]
        return y.reshape(len(x), blocks * config.lanes_out)[:, :self._rows]
