"""The bit-serial BitMoD unit from the host: ``load`` a layer quantized with
``accelgen.golden.bitmod.quantize`` (kept here: the unit streams the matrix with each
vector), then ``apply`` vectors."""

import numpy as np

from accelgen.payload import unpack
from accelgen.sim.bitserial_reference import matrix_words, vector_words

from .unit_driver import UnitDriver
from .link import HostError


class BitSerialDriver(UnitDriver):

    def load(self, layer) -> None:
        """A ``golden.bitmod.Quantized`` layer whose datatypes are the config's (its
        ``table`` is ``config.table``) and whose groups are ``group_size``."""
        config = self.config
        if layer.group_size != config.group_size or \
                [datatype.name for datatype in layer.table] != \
                [datatype.name for datatype in config.table]:
            raise HostError(f"{self.name}.load: quantize with group_size "
                            f"{config.group_size} and the unit's datatypes (config.table)")
        if layer.codes.shape[1] > config.max_cols:
            raise HostError(f"{self.name}.load: {layer.codes.shape[1]} columns; the unit "
                            f"takes up to {config.max_cols}")
        self._rows, self._cols = layer.codes.shape
        self._matrix = matrix_words(config, layer.selectors, layer.scales, layer.codes)

    def apply(self, x) -> np.ndarray:
        """The unit's integer y (before the layer's row factors and activation scale)
        for each row of ``x`` (n x cols)."""
        config = self.config
        if not hasattr(self, "_matrix"):
            raise HostError(f"{self.name}.apply: load a layer first")
        x = self.vectors(x, config.activation_bits, self._cols, "apply")
        activations, weights = [], []
        for vector in x:
            activations += vector_words(config, vector)
            weights += self._matrix
        blocks = -(-self._rows // config.pes)
        result = self.run({"activations": activations, "weights": weights},
                          {"result": blocks * len(x)})["result"]
        y = unpack(self.output_layouts["result"], result)["y"]
        return y.reshape(len(x), blocks * config.pes)[:, :self._rows]
