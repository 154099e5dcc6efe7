"""The systolic unit at the level of stream beats: payload words in, payload words out,
through golden.systolic. The board self-test and the benches share it."""

import numpy as np

from accelgen.golden.systolic import (operand_values, output_stationary_tile,
                                      weight_stationary_vectors)
from accelgen.hw.systolic_layouts import (activation_layout, input_layouts, operand_layout,
                                          output_layouts, result_layout, weight_row_layout)
from accelgen.payload import frames, pack, unpack


__all__ = ["input_layouts", "output_layouts", "reference_beats"]


def reference_beats(config, stimulus: dict) -> dict:
    """The result words the unit returns for the given input words (complete jobs)."""
    results = result_layout(config)
    out = []
    if config.output_stationary:
        beats = unpack(operand_layout(config), stimulus["operands"])
        for job in frames(beats["last"]):
            steps = config.beat_steps
            tile = output_stationary_tile(
                config, operand_values(config, "activation", beats["a"][job], steps),
                operand_values(config, "weight", beats["w"][job], steps))
            out += pack(results, {"y": tile, "last": np.arange(config.rows) == config.rows - 1})
        return {"result": out}
    tiles = unpack(weight_row_layout(config), stimulus["weights"])
    vectors = unpack(activation_layout(config), stimulus["activations"])
    beats_per_tile = -(-config.rows // config.beat_steps)
    for tile, job in zip(frames(tiles["last"], beats_per_tile), frames(vectors["last"])):
        # a tile's rows are its beats' steps, up to rows (past it: a pair's padding)
        rows = operand_values(config, "weight", tiles["w"][tile], config.beat_steps)
        rows = rows[:config.rows]
        weights = np.zeros((config.rows, config.cols), dtype=np.int64)
        weights[:len(rows)] = rows
        a = operand_values(config, "activation", vectors["a"][job])[:, :config.rows]
        y = weight_stationary_vectors(config, weights, a)
        out += pack(results, {"y": y, "last": np.arange(len(y)) == len(y) - 1})
    return {"result": out}
