"""Golden models of the bit-serial unit: BitMoD's per-group mixture-of-datatype
quantizer, the storage format of codes and metadata, the bit-exact integer model of the
hardware (bit planes MSB first, group partial sums, shift-and-add scaling, rounding) and
a float reference (no Amaranth here)."""

from dataclasses import dataclass

import numpy as np

from accelgen.bitserial_config import SCALE_BITS, BitSerialConfig
from accelgen.errors import AccelgenError
from accelgen.formats.bitmod_datatypes import datatype_table

from .integers import check_range, finite_array, round_shift

SCALE_TOP = (1 << SCALE_BITS) - 1

# --- the quantizer ----------------------------------------------------------------------


@dataclass
class Quantized:
    """W ≈ values(codes) · scales · row_factor, per group of ``group_size`` columns.

    selectors[r, g]: index into ``table`` (Datatypes); scales[r, g]: 0..255;
    row_factor[r]: float; codes[r, c]: the code of each weight (the last group of a row
    is shorter when group_size does not divide the columns)."""

    table: list
    group_size: int
    selectors: np.ndarray
    scales: np.ndarray
    row_factor: np.ndarray
    codes: np.ndarray

    def values(self) -> np.ndarray:
        return decode(self.table, self.selectors, self.codes, self.group_size)

    def dequantize(self) -> np.ndarray:
        per_column = np.repeat(self.scales, self.group_size, axis=1)[:, :self.codes.shape[1]]
        return self.values() * per_column * self.row_factor[:, None]


def _nearest(levels: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Index of the nearest level (levels sorted; ties go to the lower level)."""
    upper = np.clip(np.searchsorted(levels, x), 1, len(levels) - 1)
    lower = upper - 1
    return np.where(np.abs(x - levels[lower]) <= np.abs(levels[upper] - x), lower, upper)


def quantize(weights: np.ndarray, group_size: int, table: list) -> Quantized:
    """BitMoD's quantizer: for each group of every row, try each datatype with the scale
    absmax / largest level and keep the one with the least squared error.

    Scales are then stored as 8-bit integers times a per-row factor (the row's largest
    chosen scale / 255), and each group's codes are picked again for its stored
    (rounded) scale."""
    weights = finite_array(weights, "BitMoD weights", dimensions=2)
    if not (isinstance(group_size, int) and group_size >= 1):
        raise AccelgenError(f"BitMoD quantize: group_size must be a positive integer, "
                            f"got {group_size!r}")
    if not table:
        raise AccelgenError("BitMoD quantize: give at least one datatype")
    rows, cols = weights.shape
    groups = -(-cols // group_size)
    padded = np.zeros((rows, groups * group_size))
    padded[:, :cols] = weights
    grouped = padded.reshape(rows, groups, group_size)
    absmax = np.abs(grouped).max(axis=2)
    best_error = np.full((rows, groups), np.inf)
    selectors = np.zeros((rows, groups), dtype=np.int64)
    chosen = np.zeros((rows, groups))
    for index, datatype in enumerate(table):
        scale = absmax / datatype.largest
        error = _fit(datatype, grouped, scale)[1]
        better = error < best_error
        best_error = np.where(better, error, best_error)
        selectors = np.where(better, index, selectors)
        chosen = np.where(better, scale, chosen)
    row_factor = chosen.max(axis=1) / SCALE_TOP
    row_factor = np.where(row_factor > 0, row_factor, 1.0)
    scales = np.clip(np.rint(chosen / row_factor[:, None]), 1, SCALE_TOP).astype(np.int64)
    codes = np.zeros((rows, groups, group_size), dtype=np.int64)
    for index, datatype in enumerate(table):
        fitted = _fit(datatype, grouped, scales * row_factor[:, None])[0]
        codes = np.where((selectors == index)[:, :, None], fitted, codes)
    return Quantized(list(table), group_size, selectors, scales, row_factor,
                     codes.reshape(rows, -1)[:, :cols])


def _fit(datatype, grouped: np.ndarray, scale: np.ndarray):
    """(codes, squared error per group) of groups rounded to the nearest level."""
    step = np.where(scale > 0, scale, 1.0)[:, :, None]
    levels = np.array(datatype.levels, dtype=np.float64)
    level = _nearest(levels, grouped / step)
    error = ((levels[level] * step - grouped) ** 2).sum(axis=2)
    code_of = {value: code for code, value in reversed(list(enumerate(datatype.values)))}
    return np.array([code_of[value] for value in datatype.levels])[level], error


def quantize_families(weights: np.ndarray, group_size: int, families) -> Quantized:
    """The quantizer over the datatypes of a config's ``datatypes`` list."""
    return quantize(weights, group_size, datatype_table(families))


# --- decoding: codes to values, and to the hardware's M · 2^s ---------------------------


def _datatype_arrays(table: list, selectors: np.ndarray):
    """Per entry of ``selectors``: its Datatype index (past the end: 0)."""
    selectors = np.asarray(selectors, dtype=np.int64)
    return table, np.where(selectors < len(table), selectors, 0)


def decode(table: list, selectors: np.ndarray, codes: np.ndarray, group_size: int) -> np.ndarray:
    """The integer value of every code, under its group's datatype. A code wider than
    its datatype is read in its low bits (the hardware ignores the rest)."""
    table, index = _datatype_arrays(table, selectors)
    per_column = np.repeat(index, group_size, axis=1)[:, :codes.shape[1]]
    out = np.zeros(codes.shape, dtype=np.int64)
    for number, datatype in enumerate(table):
        values = np.array(datatype.values, dtype=np.int64)
        low = codes & ((1 << datatype.code_bits) - 1)
        out = np.where(per_column == number, values[low], out)
    return out


def split_planes(table: list, selectors: np.ndarray, codes: np.ndarray, group_size: int):
    """(M, s) of every code: value = M · 2^s (see bitmod_datatypes)."""
    table, index = _datatype_arrays(table, selectors)
    per_column = np.repeat(index, group_size, axis=1)[:, :codes.shape[1]]
    mantissa = np.zeros(codes.shape, dtype=np.int64)
    shift = np.zeros(codes.shape, dtype=np.int64)
    for number, datatype in enumerate(table):
        pairs = np.array([datatype.split(code) for code in range(1 << datatype.code_bits)])
        low = codes & ((1 << datatype.code_bits) - 1)
        mantissa = np.where(per_column == number, pairs[low, 0], mantissa)
        shift = np.where(per_column == number, pairs[low, 1], shift)
    return mantissa, shift


# --- the hardware, bit by bit -----------------------------------------------------------


def chunk_cycles(config: BitSerialConfig, selectors: np.ndarray) -> np.ndarray:
    """PE cycles of each chunk of a row block: the pes rows compute in lockstep, so a
    group column takes the cycles of its widest datatype. ``selectors``: [pes, groups]."""
    table, index = _datatype_arrays(config.table, selectors)
    cycles = np.array([config.cycles_per_chunk(datatype) for datatype in table])
    return cycles[index].max(axis=0)


def group_sums(config: BitSerialConfig, selectors: np.ndarray, codes: np.ndarray,
               x: np.ndarray) -> np.ndarray:
    """Each group's integer partial sum, in the hardware's order: per chunk of ``lanes``
    columns, bit planes of M from the top (which subtracts) down, ``bits_per_cycle`` per
    cycle, each plane adding x·2^s where it is set; chunk sums then add up per group.
    [rows, cols] codes and [cols] activations (cols a multiple of lanes) → [rows, groups]."""
    x = check_range(x, config.activation_bits, True, "activations")
    mantissa, shift = split_planes(config.table, selectors, codes, config.group_size)
    rows, cols = codes.shape
    shifted = x[None, :] << shift
    planes = config.planes
    chunk = np.zeros((rows, cols // config.lanes), dtype=np.int64)
    for plane in reversed(range(planes)):
        bit = (mantissa >> plane) & 1
        plane_sum = (bit * shifted).reshape(rows, -1, config.lanes).sum(axis=2)
        chunk = 2 * chunk + (-plane_sum if plane == planes - 1 else plane_sum)
    groups = -(-cols // config.group_size)
    padded = np.zeros((rows, groups * config.chunks_per_group), dtype=np.int64)
    padded[:, :chunk.shape[1]] = chunk
    return padded.reshape(rows, groups, config.chunks_per_group).sum(axis=2)


def scale_sum(partial: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Σ_g scale_g · partial_g by shift-and-add over the scale's bits from the top:
    t ← 2t + bit·partial (the dequantizer; no multiplier)."""
    total = np.zeros(partial.shape, dtype=np.int64)
    for bit in reversed(range(SCALE_BITS)):
        total = 2 * total + ((scales >> bit) & 1) * partial
    return total.sum(axis=-1)


def round_saturate(values: np.ndarray, shift: int, bits: int) -> np.ndarray:
    """value / 2^shift rounded half up, clipped to signed ``bits``."""
    return np.clip(round_shift(values, shift), -(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def outputs(config: BitSerialConfig, selectors: np.ndarray, scales: np.ndarray,
            codes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The unit's result for each row: round_saturate(Σ_g scale_g · partial_g)."""
    partial = group_sums(config, selectors, codes, x)
    return round_saturate(scale_sum(partial, scales), config.output_shift, config.output_bits)


def float_reference(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.asarray(weights, dtype=np.float64) @ np.asarray(x, dtype=np.float64)


# --- storage: codes and metadata as bytes ------------------------------------------------


class _Bits:
    def __init__(self, data: bytes = b""):
        self.value, self.count, self.data = 0, 0, data

    def put(self, value: int, bits: int):
        self.value |= (int(value) & ((1 << bits) - 1)) << self.count
        self.count += bits

    def take(self, bits: int) -> int:
        if self.count + bits > 8 * len(self.data):
            raise AccelgenError("packed weights: the data ends inside a group")
        value = int.from_bytes(self.data, "little") >> self.count & ((1 << bits) - 1)
        self.count += bits
        return value


def metadata_bits(config: BitSerialConfig) -> int:
    """Bits of a group's metadata in storage: its selector and its scale."""
    return config.selector_bits + SCALE_BITS


def pack(config: BitSerialConfig, quantized: Quantized) -> bytes:
    """One row after another; per group its selector, its scale, then its codes at the
    chosen datatype's width (so a 3-bit group stores 3 bits per weight), LSB first.
    The per-row float factors are not part of it (they stay with the layer)."""
    table = config.table
    bits = _Bits()
    rows, cols = quantized.codes.shape
    for row in range(rows):
        for group in range(quantized.selectors.shape[1]):
            selector = int(quantized.selectors[row, group])
            bits.put(selector, config.selector_bits)
            bits.put(quantized.scales[row, group], SCALE_BITS)
            width = table[selector].code_bits
            start = group * config.group_size
            for code in quantized.codes[row, start:start + config.group_size]:
                bits.put(code, width)
    return bits.value.to_bytes(-(-bits.count // 8), "little")


def unpack(config: BitSerialConfig, data: bytes, rows: int, cols: int):
    """(selectors, scales, codes) from :func:`pack`'s bytes."""
    table = config.table
    bits = _Bits(data)
    groups = -(-cols // config.group_size)
    selectors = np.zeros((rows, groups), dtype=np.int64)
    scales = np.zeros((rows, groups), dtype=np.int64)
    codes = np.zeros((rows, cols), dtype=np.int64)
    for row in range(rows):
        for group in range(groups):
            selector = bits.take(config.selector_bits)
            if selector >= len(table):
                raise AccelgenError(f"packed weights: row {row} group {group} has "
                                    f"selector {selector}, the config has {len(table)}")
            selectors[row, group] = selector
            scales[row, group] = bits.take(SCALE_BITS)
            start = group * config.group_size
            for col in range(start, min(start + config.group_size, cols)):
                codes[row, col] = bits.take(table[selector].code_bits)
    return selectors, scales, codes
