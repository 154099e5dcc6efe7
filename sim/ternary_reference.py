"""The ternary unit at the level of stream beats: payload words in, payload words out,
through golden.ternary. The board self-test and the bench share it."""

import numpy as np

from accelgen.golden.ternary import (chunks, clamp_shape, combined_scale, mlgru_fixed,
                                     rescale, words_matrices)
from accelgen.hw.ternary_layouts import (activation_layout, input_layouts, output_layouts,
                                         result_layout, weight_layout)
from accelgen.payload import chunked, frames, last_flags, pack, unpack

__all__ = ["input_layouts", "output_layouts", "reference_beats"]


class ReferenceUnit:
    """The unit's state between vectors: the loads not yet used up, and the MLGRU's
    hidden state (zero until written, as after a reset)."""

    def __init__(self, config):
        self.config = config
        blocks = config.max_hidden_blocks
        self.state = np.zeros((blocks, config.lanes_out), dtype=np.int64)
        self.written = np.zeros(blocks, dtype=bool)

    def vector(self, load, beats) -> list[int]:
        """Result words of one vector: ``load`` = (rows, cols, scale, words),
        ``beats`` = that vector's activation beats, unpacked."""
        config = self.config
        rows, cols, weight_scale, words = load
        count = chunks(config, cols)
        if len(beats["x"]) < count:
            raise ValueError(f"a vector of {cols} columns needs {count} beats, "
                             f"got {len(beats['x'])}")
        x = beats["x"][:count].reshape(-1)
        x[cols:] = 0
        c = combined_scale(weight_scale, int(beats["scale"][0]))
        blocks = -(-rows // config.lanes_out)
        padded = blocks * config.lanes_out
        outputs = []
        for matrix in words_matrices(config, words, rows, cols):
            y = np.zeros(padded, dtype=np.int64)
            y[:rows] = rescale(config, matrix @ x, c)
            outputs.append(y.reshape(blocks, config.lanes_out))
        if config.mlgru:
            outputs = self._mlgru(outputs, bool(beats["start"][0]), rows)
        y = outputs[0]
        return pack(result_layout(config), {"y": y, "last": np.arange(blocks) == blocks - 1})

    def _mlgru(self, pre: list, start: bool, hidden: int) -> list:
        blocks = pre[0].shape[0]
        h_prev = np.where((self.written[:blocks] & ~start)[:, None], self.state[:blocks], 0)
        h, o = mlgru_fixed(self.config, *pre, h_prev)
        self.state[:blocks], self.written[:blocks] = h, True
        o = o.reshape(-1)
        o[hidden:] = 0
        return [o.reshape(blocks, self.config.lanes_out)]


def reference_beats(config, stimulus: dict) -> dict:
    """The result words the unit returns for the given input words, from reset.

    A job's vectors use the oldest load not yet ended by a ``final`` vector; vectors
    without a load to use give no results (the unit waits for one)."""
    weights = unpack(weight_layout(config), stimulus["weights"])
    loads = []
    for frame in frames(weights["last"]):
        first = frame.start
        rows, cols = clamp_shape(config, int(weights["rows"][first]),
                                 int(weights["cols"][first]))
        words = [int(word) for word in weights["data"][frame][:config.bank_words]]
        loads.append((rows, cols, int(weights["scale"][first]), words))
    vectors = unpack(activation_layout(config), stimulus["activations"])
    unit, out, load = ReferenceUnit(config), [], 0
    for frame in frames(vectors["last"]):
        if load == len(loads):
            break
        beats = {name: values[frame] for name, values in vectors.items()}
        beats["x"] = beats["x"][:config.max_chunks].copy()
        out += unit.vector(loads[load], beats)
        load += bool(beats["final"][0])
    return {"result": out}


def load_words(config, matrices: list, scale: int, header: tuple | None = None) -> list[int]:
    """The weight beats of one load of ``matrices`` (see golden.ternary.matrix_words).
    ``header``: the (rows, cols) the first beat announces, if not the matrices' shape
    (the unit clamps it into 1..max)."""
    from accelgen.golden.ternary import matrix_words
    words = matrix_words(config, matrices)
    rows, cols = header or matrices[0].shape
    count = len(words)
    return pack(weight_layout(config), {
        "data": words, "rows": [rows] * count, "cols": [cols] * count,
        "scale": [scale] * count, "last": np.arange(count) == count - 1})


def vector_words(config, x: np.ndarray, scale: int, start: bool, final: bool) -> list[int]:
    """The activation beats of one vector x (zero-padded to whole chunks)."""
    beats = chunked(x, config.lanes_in)
    count = len(beats)
    first = np.arange(count) == 0
    return pack(activation_layout(config), {
        "x": beats, "scale": [scale] * count, "start": first & start,
        "final": first & final, "last": last_flags(count)})
