"""Two's-complement helpers that every golden model uses."""

import numpy as np

from accelgen.errors import AccelgenError
from accelgen.numbers import value_range


def wrap(values: np.ndarray, bits: int, signed: bool) -> np.ndarray:
    """Reduce int64 values modulo 2**bits, as a ``bits``-wide register holds them."""
    values = np.asarray(values, dtype=np.int64)
    if bits >= 64:
        return values
    mask = (1 << bits) - 1
    wrapped = values & mask
    if signed:
        wrapped = np.where(wrapped >> (bits - 1) & 1, wrapped - (1 << bits), wrapped)
    return wrapped.astype(np.int64)


def check_range(values: np.ndarray, bits: int, signed: bool, what: str) -> np.ndarray:
    """Refuse input data that does not fit the hardware's operand width."""
    values = np.asarray(values)
    if not np.issubdtype(values.dtype, np.integer):
        raise AccelgenError(f"{what}: must be integers, got dtype {values.dtype}")
    low, high = value_range(bits, signed)
    if values.size and (values.min() < low or values.max() > high):
        kind = "signed" if signed else "unsigned"
        raise AccelgenError(f"{what}: values must be {kind} {bits}-bit ({low}..{high}), "
                            f"got {values.min()}..{values.max()}")
    return values.astype(np.int64)


def finite_array(values, what: str, dimensions: int | None = None) -> np.ndarray:
    """Real-valued input of a quantizer as float64: numbers, finite, not empty, with
    ``dimensions`` axes if given (NaN and inf have no code; they would come out as
    int64's minimum or wipe a whole group)."""
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise AccelgenError(f"{what}: must be an array of numbers") from None
    if dimensions is not None and values.ndim != dimensions:
        raise AccelgenError(f"{what}: must have {dimensions} axes, got shape {values.shape}")
    if values.size == 0:
        raise AccelgenError(f"{what}: is empty")
    if not np.isfinite(values).all():
        raise AccelgenError(f"{what}: contains NaN or infinity")
    return values


def round_shift(values, shift: int):
    """values / 2^shift rounded half up (toward +∞), as an add and an arithmetic shift.
    Python-integer (object) arrays stay exact, for products wider than 64 bits."""
    values = np.asarray(values)
    values = values if values.dtype == object else values.astype(np.int64)
    if shift == 0:
        return values
    return (values + (1 << (shift - 1))) >> shift
