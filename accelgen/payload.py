"""Stream payloads as Python integers, laid out exactly as ``lib.data`` places them.

Benches drive and read payload bits through cocotb, and the board self-test turns
pseudo-random bits into operands; both go through these two functions, so no bit
offset is written twice.
"""

import numpy as np
from amaranth.hdl import Shape
from amaranth.lib import data


def field_slots(layout: data.StructLayout):
    """(name, offset, element width, element count, signed) for every field."""
    for name, field in layout:
        shape = field.shape
        if isinstance(shape, data.ArrayLayout):
            element = Shape.cast(shape.elem_shape)
            yield name, field.offset, element.width, shape.length, element.signed
        else:
            shape = Shape.cast(shape)
            yield name, field.offset, shape.width, None, shape.signed


def _dtype(width: int):
    """int64 for fields that fit one, Python integers for wider ones (packed words)."""
    return np.int64 if width <= 62 else object


def pack(layout: data.StructLayout, beats: dict) -> list[int]:
    """Beats as payload integers. ``beats`` maps each field name to a sequence with one
    entry (an array for array fields) per beat; values are taken modulo their width."""
    count = len(next(iter(beats.values())))
    words = [0] * count
    for name, offset, width, length, _ in field_slots(layout):
        values = np.asarray(beats[name], dtype=_dtype(width)).reshape(count, length or 1)
        mask = (1 << width) - 1
        for beat in range(count):
            word = 0
            for lane, value in enumerate(values[beat].tolist()):
                word |= (value & mask) << (offset + lane * width)
            words[beat] |= word
    return words


def unpack(layout: data.StructLayout, words: list[int]) -> dict:
    """The inverse of :func:`pack`: field name to an int64 array with one row per beat
    (array fields) or one entry per beat (plain fields), signed fields sign-extended."""
    out = {}
    for name, offset, width, length, is_signed in field_slots(layout):
        mask = (1 << width) - 1
        values = np.array([[(word >> (offset + lane * width)) & mask
                            for lane in range(length or 1)] for word in words],
                          dtype=_dtype(width)).reshape(len(words), length or 1)
        if is_signed:
            values = np.where(values >> (width - 1) & 1, values - (1 << width), values)
        out[name] = values if length is not None else values[:, 0]
    return out


def padded(values, shape: tuple) -> np.ndarray:
    """``values`` as int64, zero-padded at the end of every axis to ``shape``."""
    values = np.asarray(values, dtype=np.int64)
    out = np.zeros(shape, dtype=np.int64)
    out[tuple(slice(0, length) for length in values.shape)] = values
    return out


def chunked(vector, lanes: int, chunks: int | None = None) -> np.ndarray:
    """A vector as beats of ``lanes`` elements, shape (chunks, lanes): zero-padded to
    whole chunks (or to ``chunks`` of them)."""
    count = chunks if chunks is not None else -(-len(vector) // lanes)
    return padded(vector, (count * lanes,)).reshape(count, lanes)


def last_flags(count: int) -> np.ndarray:
    """The ``last`` field of a frame of ``count`` beats."""
    return np.arange(count) == count - 1


def frames(last, longest: int | None = None) -> list[slice]:
    """Split a stream's beats into frames ending at ``last`` (or after ``longest``
    beats); beats after the final ``last`` belong to no frame."""
    out, start = [], 0
    for beat, is_last in enumerate(last):
        if is_last or (longest is not None and beat - start + 1 == longest):
            out.append(slice(start, beat + 1))
            start = beat + 1
    return out
