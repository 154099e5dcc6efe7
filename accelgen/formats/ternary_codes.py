"""The ternary unit's weight packings (two bits per trit, or five trits per byte in
base 3) and the MLGRU's piecewise-linear sigmoid table: the golden model packs and
unpacks with these, and the hardware decodes with the same functions."""

import numpy as np

_TWO_BIT = {0: 0b00, 1: 0b01, -1: 0b11}


def pack_2bit(trits: np.ndarray) -> int:
    """Trits (flat order) as one integer, two bits each, trit 0 in the low bits."""
    word = 0
    for index, trit in enumerate(np.asarray(trits).ravel().tolist()):
        word |= _TWO_BIT[trit] << (2 * index)
    return word


def unpack_2bit(word: int, count: int) -> np.ndarray:
    """Bit 0 says non-zero, bit 1 says negative; the unused code 10 reads as −1 (bit 1
    alone decides the sign, which spares the hardware a gate per weight)."""
    codes = [(word >> (2 * index)) & 3 for index in range(count)]
    return np.array([-1 if code & 2 else code & 1 for code in codes], dtype=np.int64)


def pack_base3(trits: np.ndarray) -> int:
    """Five trits per byte, Σ (t_i + 1)·3^i (at most 242), byte 0 in the low bits."""
    flat = np.asarray(trits).ravel().tolist()
    word = 0
    for byte in range(-(-len(flat) // 5)):
        group = flat[5 * byte:5 * byte + 5]
        word |= sum((trit + 1) * 3 ** place for place, trit in enumerate(group)) << (8 * byte)
    return word


def base3_byte(code: int) -> list[int]:
    """The five trits of one byte; codes 243..255 are not a packing and read as zeros."""
    if code > 242:
        return [0] * 5
    return [(code // 3 ** place) % 3 - 1 for place in range(5)]


def unpack_base3(word: int, count: int) -> np.ndarray:
    trits = []
    for byte in range(-(-count // 5)):
        trits += base3_byte((word >> (8 * byte)) & 0xFF)
    return np.array(trits[:count], dtype=np.int64)


# σ(|z|) ≈ |z|/2^shift + intercept on |z| >= start (the PLAN approximation: power-of-two
# slopes, so the hardware needs shifts and adds only); σ(−z) = 1 − σ(z).
SIGMOID_SEGMENTS = ((5.0, None, 1.0), (2.375, 5, 0.84375), (1.0, 3, 0.625), (0.0, 2, 0.5))


def sigmoid_table(fraction_bits: int) -> list[tuple[int, int | None, int]]:
    """The segments in fixed point: (start, slope shift, intercept), largest start first."""
    one = 1 << fraction_bits
    return [(int(start * one), shift, int(intercept * one))
            for start, shift, intercept in SIGMOID_SEGMENTS]
