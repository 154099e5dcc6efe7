"""OliVe's outlier-victim pair quantizer and codec at 4 bits (codes:
accelgen/formats/olive_codes.py), and the exact integers a matrix product on them
computes (no Amaranth here).

The quantizer follows the reference (clevercool/ANT-Quantization, olive_quantization/
antquant/quant_modules.py ``_forward`` and ``search_mse``) with these conventions made
explicit:

- Each value goes to the nearest point of the normal and outlier grids together; on a
  tie the point later in the reference's list wins (its CUDA kernel compares with <=
  over the sorted normal grid, then the sorted outlier grid): the higher point, and an
  outlier over a normal one.
- Pairs are elements (2i, 2i + 1) of each row along the last axis (the reduction
  dimension); a row of odd length gets a zero at its end.
- A pair of two outliers keeps the larger magnitude (the paper; on equal magnitudes
  the first). The reference code keeps the first: ``both_outliers="first"``.
- The scale: ``scale`` maps the normal grid's largest level to ``clip``; ``clip`` is
  searched over 75 %, 77 %, ... 249 % of max(|mean ± 3 std|) for the least squared
  error (the first of equal ones), per row for weights and per tensor for activations.
"""

from dataclasses import dataclass

import numpy as np

from accelgen.errors import AccelgenError
from accelgen.formats.olive_codes import (NORMAL_TYPES, OUTLIER_THRESHOLD, VICTIM, NormalType,
                                          decode_pair)

from .integers import finite_array

SEARCH_PERCENT = range(75, 250, 2)


@dataclass
class Encoded:
    """A matrix in OVP-4: ``codes[r, c]`` (4-bit, columns padded to even), each value
    ``integers()[r, c] * step[r]`` (``step`` one per row, or one for all rows)."""

    normal: NormalType
    codes: np.ndarray         # uint8, shape (rows, even columns)
    step: np.ndarray          # float64, shape (rows,): the value of one unit
    columns: int              # before padding

    def integers(self) -> np.ndarray:
        return decode(self.normal, self.codes)[:, :self.columns]

    def dequantize(self) -> np.ndarray:
        return self.integers() * self.step[:, None]

    def pack(self) -> bytes:
        """8 bits a pair: element 2i in the low nibble, 2i + 1 in the high one; rows
        one after the other."""
        return bytes((self.codes[:, 0::2] | self.codes[:, 1::2] << 4).astype(np.uint8)
                     .reshape(-1))


def unpack(normal: str, data: bytes, rows: int, columns: int, step) -> Encoded:
    even = columns + columns % 2
    if len(data) != rows * even // 2:
        raise AccelgenError(f"OVP unpack: {len(data)} bytes, expected {rows * even // 2} "
                            f"for {rows} x {columns}")
    pairs = np.frombuffer(data, dtype=np.uint8).reshape(rows, even // 2)
    codes = np.empty((rows, even), dtype=np.uint8)
    codes[:, 0::2], codes[:, 1::2] = pairs & 0xF, pairs >> 4
    return Encoded(NORMAL_TYPES[normal], codes, np.broadcast_to(
        np.asarray(step, dtype=np.float64), (rows,)).copy(), columns)


# every (low, high) pair of codes to its two values: 256 entries
def _pair_table(normal: NormalType) -> np.ndarray:
    return np.array([decode_pair(normal, code & 0xF, code >> 4) for code in range(256)],
                    dtype=np.int64)


def decode(normal: NormalType, codes: np.ndarray) -> np.ndarray:
    """Integers (units) of an even-width code matrix."""
    codes = np.asarray(codes, dtype=np.int64)
    values = _pair_table(normal)[codes[:, 0::2] | codes[:, 1::2] << 4]
    out = np.empty(codes.shape, dtype=np.int64)
    out[:, 0::2], out[:, 1::2] = values[..., 0], values[..., 1]
    return out


def _grid(normal: NormalType) -> tuple[np.ndarray, np.ndarray]:
    """The reference's grid (its units) in its order, and the same points in our units."""
    units = np.array(normal.values, dtype=np.int64)
    return units * normal.grid_unit, units


def _round_to_grid(scaled: np.ndarray, normal: NormalType) -> np.ndarray:
    """Nearest grid point (our units) of values in the reference's grid units; ties to
    the later point of the reference's list."""
    grid, units = _grid(normal)
    distance = np.abs(scaled[..., None] - grid)
    last_best = len(grid) - 1 - np.argmin(distance[..., ::-1], axis=-1)
    return units[last_best]


def _pairs_of(values: np.ndarray) -> np.ndarray:
    return values if values.shape[-1] % 2 == 0 else np.concatenate(
        [values, np.zeros((*values.shape[:-1], 1), values.dtype)], axis=-1)


def prune_victims(units: np.ndarray, normal: NormalType,
                  both_outliers: str = "larger") -> tuple[np.ndarray, np.ndarray]:
    """(values with victims zeroed, mask of outliers kept), pairs along the last axis."""
    outlier = np.abs(units) * normal.grid_unit > OUTLIER_THRESHOLD
    first, second = outlier[..., 0::2], outlier[..., 1::2]
    if both_outliers == "larger":
        keep_second = np.abs(units[..., 1::2]) > np.abs(units[..., 0::2])
    elif both_outliers == "first":
        keep_second = np.zeros_like(first)
    else:
        raise AccelgenError(f"OVP: both_outliers must be larger or first, "
                            f"got {both_outliers!r}")
    victim_first = second & (~first | keep_second)
    victim_second = first & ~victim_first
    pruned = units.copy()
    pruned[..., 0::2][victim_first] = 0
    pruned[..., 1::2][victim_second] = 0
    kept = outlier.copy()
    kept[..., 0::2] &= ~victim_first
    kept[..., 1::2] &= ~victim_second
    return pruned, kept


def _fake_quantize(values: np.ndarray, scale: np.ndarray, normal: NormalType,
                   both_outliers: str) -> np.ndarray:
    """Values after OVP at ``scale`` (reference grid units per value unit)."""
    units = _round_to_grid(values / scale, normal)
    pruned, _ = prune_victims(units, normal, both_outliers)
    return pruned * normal.grid_unit * scale


def _search_clip(values: np.ndarray, normal: NormalType, both_outliers: str) -> np.ndarray:
    """Per row of ``values`` (rows, even columns): the clip with the least squared error."""
    mean, std = values.mean(axis=-1), values.std(axis=-1, ddof=1) if values.shape[-1] > 1 \
        else np.zeros(len(values))
    base = np.maximum(np.abs(mean + 3 * std), np.abs(mean - 3 * std))
    base = np.where(base > 0, base, np.maximum(np.abs(values).max(axis=-1), 1e-30))
    best_error = np.full(len(values), np.inf)
    best_clip = base.copy()
    for percent in SEARCH_PERCENT:
        clip = base * percent / 100
        quantized = _fake_quantize(values, (clip / normal.largest_normal)[:, None], normal,
                                   both_outliers)
        error = ((quantized - values) ** 2).mean(axis=-1)
        better = error < best_error
        best_error[better], best_clip[better] = error[better], clip[better]
    return best_clip


def quantize(values, normal: str = "int", per_row: bool = True,
             both_outliers: str = "larger") -> Encoded:
    """OVP-4 of a matrix (rows, columns), pairs along the columns; ``per_row``: a scale
    per row (weights), else one for the whole matrix (activations). ``normal``: int,
    flint, or "adaptive" (ANT's choice: the one with the smaller squared error)."""
    values = finite_array(values, "OVP quantize", dimensions=2)
    if normal == "adaptive":
        candidates = [quantize(values, name, per_row, both_outliers)
                      for name in NORMAL_TYPES]
        return min(candidates, key=lambda made: ((made.dequantize() - values) ** 2).sum())
    if normal not in NORMAL_TYPES:
        raise AccelgenError(f"OVP quantize: normal must be one of int, flint, adaptive; "
                            f"got {normal!r}")
    datatype = NORMAL_TYPES[normal]
    columns = values.shape[1]
    padded = _pairs_of(values)
    searched = padded if per_row else padded.reshape(1, -1)
    clip = _search_clip(searched, datatype, both_outliers)
    scale = np.broadcast_to(clip / datatype.largest_normal, (len(values),))
    units = _round_to_grid(padded / scale[:, None], datatype)
    pruned, kept = prune_victims(units, datatype, both_outliers)
    codes = encode(datatype, pruned, kept)
    return Encoded(datatype, codes, scale * datatype.grid_unit, columns)


def encode(normal: NormalType, units: np.ndarray, outliers: np.ndarray) -> np.ndarray:
    """Codes of values in units whose victims are already zero: ``outliers`` marks the
    kept outliers (each pair holds at most one, and then a zero partner)."""
    codes = np.zeros(units.shape, dtype=np.uint8)
    normal_code = {value: normal.code_of(value, False) for value in normal.normal_values}
    outlier_code = {value: normal.code_of(value, True) for value in normal.outlier_values}
    for index in np.ndindex(units.shape):
        value = int(units[index])
        codes[index] = outlier_code[value] if outliers[index] else normal_code[value]
    partner = np.zeros_like(outliers)
    partner[..., 0::2], partner[..., 1::2] = outliers[..., 1::2], outliers[..., 0::2]
    if np.any(partner & outliers):
        raise AccelgenError("OVP encode: a pair holds two outliers")
    codes[partner] = VICTIM
    return codes


def encode_values(normal: NormalType, values, what: str) -> np.ndarray:
    """Codes of integers (units) that are OVP values already, pairs along the last axis
    (even length): every value a normal or an outlier level, and a pair with an outlier
    has a zero partner. The inverse of :func:`decode`, for callers that hold integers."""
    values = np.asarray(values, dtype=np.int64)
    levels = normal.values
    if not np.isin(values, levels).all():
        wrong = sorted(set(values.ravel().tolist()) - set(levels))
        raise AccelgenError(f"{what}: OVP-4 {normal.name} values are {levels}; got "
                            f"{wrong[:4]}")
    outliers = ~np.isin(values, normal.normal_values)
    partners = np.empty_like(values)
    partners[..., 0::2], partners[..., 1::2] = values[..., 1::2], values[..., 0::2]
    if np.any(outliers & (partners != 0)):
        raise AccelgenError(f"{what}: an OVP pair (elements 2i, 2i + 1 along the "
                            f"reduction) holds an outlier (|value| > "
                            f"{max(normal.normal_values)}) beside a value other than 0")
    return encode(normal, values, outliers)


def matmul(activations: np.ndarray, weights: Encoded) -> np.ndarray:
    """The exact integer product the PE array computes: activations (M, K) integers
    times the decoded weights (N, K), as int64 (M, N)."""
    return np.asarray(activations, dtype=np.int64) @ weights.integers().T
