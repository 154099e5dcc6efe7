"""The bit-serial unit at the level of stream beats: payload words in, payload words
out, through golden.bitmod. The board self-test and the bench share it."""

import numpy as np

from accelgen.golden.bitmod import decode, outputs, round_saturate, scale_sum
from accelgen.hw.bitserial_layouts import (activation_layout, input_layouts, output_layouts,
                                           result_layout, weight_layout)
from accelgen.payload import chunked, frames, last_flags, pack, padded, unpack

__all__ = ["input_layouts", "output_layouts", "reference_beats"]


def reference_beats(config, stimulus: dict) -> dict:
    """The result words the unit returns for the given input words, from reset.

    Job j pairs vector j with the weight beats up to the j-th ``last``; a row block ends
    after as many beats as its vector has, or at ``last``; a group's datatypes and
    scales come from its first beat. Beats with no vector to use give no results."""
    config_pes, lanes = config.pes, config.lanes
    vectors = unpack(activation_layout(config), stimulus["activations"])
    xs = [vectors["x"][frame][:config.max_chunks] for frame in frames(vectors["last"])]
    beats = unpack(weight_layout(config), stimulus["weights"])
    results = {"y": [], "last": []}
    job, chunk, group_chunk = 0, 0, 0
    partial = np.zeros(config_pes, dtype=np.int64)
    total = np.zeros(config_pes, dtype=np.int64)
    selectors = scales = None
    for index in range(len(beats["last"])):
        if job == len(xs):
            break
        if group_chunk == 0:
            selectors = beats["datatype"][index][:, None]
            scales = beats["scale"][index]
        codes = beats["codes"][index].reshape(config_pes, lanes)
        values = decode(config.table, selectors, codes, lanes)
        partial += values @ xs[job][chunk]
        last = bool(beats["last"][index])
        row_end = chunk == len(xs[job]) - 1 or last
        group_end = group_chunk == config.chunks_per_group - 1 or row_end
        if group_end:
            total += scale_sum(partial[:, None], scales[:, None])
            partial[:] = 0
        if row_end:
            results["y"].append(round_saturate(total,
                                               config.output_shift, config.output_bits))
            results["last"].append(last)
            total[:] = 0
        chunk = 0 if row_end else chunk + 1
        group_chunk = 0 if group_end else group_chunk + 1
        job += last
    if not results["y"]:
        return {"result": []}
    return {"result": pack(result_layout(config), results)}


def matrix_words(config, selectors: np.ndarray, scales: np.ndarray, codes: np.ndarray,
                 last: bool = True) -> list[int]:
    """The weight beats of a matrix: selectors and scales [rows, groups], codes
    [rows, cols]; rows are padded to whole row blocks (scale 0) and columns to whole
    chunks (code 0)."""
    pes, lanes = config.pes, config.lanes
    rows, cols = codes.shape
    blocks, chunks = -(-rows // pes), -(-cols // lanes)
    padded_codes = padded(codes, (blocks * pes, chunks * lanes))
    groups = selectors.shape[1]
    padded_selectors = padded(selectors, (blocks * pes, groups))
    padded_scales = padded(scales, (blocks * pes, groups))
    beats = {"codes": [], "datatype": [], "scale": [], "last": []}
    for block in range(blocks):
        rows_of_block = slice(block * pes, (block + 1) * pes)
        for chunk in range(chunks):
            group = chunk // config.chunks_per_group
            beats["codes"].append(
                padded_codes[rows_of_block, chunk * lanes:(chunk + 1) * lanes].reshape(-1))
            beats["datatype"].append(padded_selectors[rows_of_block, group])
            beats["scale"].append(padded_scales[rows_of_block, group])
            beats["last"].append(last and block == blocks - 1 and chunk == chunks - 1)
    return pack(weight_layout(config), beats)


def vector_words(config, x: np.ndarray) -> list[int]:
    """The activation beats of one vector x (zero-padded to whole chunks)."""
    beats = chunked(x, config.lanes)
    return pack(activation_layout(config), {"x": beats, "last": last_flags(len(beats))})


def expected_outputs(config, selectors, scales, codes, x) -> np.ndarray:
    """golden.bitmod.outputs for a matrix and vector as the bench sends them."""
    cols = -(-codes.shape[1] // config.lanes) * config.lanes
    return outputs(config, selectors, scales, padded(codes, (codes.shape[0], cols)),
                   padded(x, (cols,)))
