"""Arithmetic helpers of the ternary unit: fixed-point rounding and saturation, and
multiplication and division by constants without multiplier cells."""

from amaranth.hdl import Const, Mux, signed


def round_shift(value, shift: int):
    """value / 2^shift rounded half up: one add and an arithmetic shift (golden:
    golden.ternary.round_shift)."""
    if shift == 0:
        return value
    return (value + (1 << (shift - 1))) >> shift


def saturate(value, bits: int):
    """``value`` clipped to a signed ``bits``-wide range: it fits when its bits above
    the range all equal its sign (no full-width comparisons)."""
    if len(value) <= bits:
        return value
    top = value[bits - 1:]
    fits = (top == 0) | (top == (1 << len(top)) - 1)
    high = (1 << (bits - 1)) - 1
    return Mux(fits, value[:bits].as_signed(),
               Mux(value[-1], Const(-high - 1, signed(bits)), Const(high, signed(bits))))


def multiply_by_constant(value, constant: int):
    """value · constant as shifts and adds: no multiplier cell for synthesis to map."""
    terms = [value << bit for bit in range(constant.bit_length()) if constant >> bit & 1]
    return sum(terms[1:], terms[0]) if terms else 0


def ceil_divide(value, divisor: int, max_value: int):
    """ceil(value / divisor) for 0 <= value <= max_value, as a multiplication by a
    constant reciprocal (shifts and adds) and a shift, exact over that whole range."""
    n = value + (divisor - 1)
    top = max_value + divisor - 1
    if divisor & (divisor - 1) == 0:
        return n >> (divisor.bit_length() - 1)
    shift = top.bit_length() + divisor.bit_length()
    while True:
        reciprocal = -(-(1 << shift) // divisor)
        if all(k * reciprocal >> shift == k // divisor for k in range(top + 1)):
            return multiply_by_constant(n, reciprocal) >> shift
        shift += 1


def round_saturate(value, shift: int, bits: int):
    """saturate(round_shift(value, shift), bits), with the rounding adder only ``bits``
    wide: whether the value fits is read off its top bits (all equal to the sign), not
    from full-width comparisons."""
    if shift == 0:
        return saturate(value, bits)
    width = len(value)
    if width <= shift + bits - 1:
        return round_shift(value, shift)[:bits].as_signed()
    top = value[shift + bits - 1:]
    fits = (top == 0) | (top == (1 << len(top)) - 1)
    truncated = value[shift:shift + bits]
    round_up = value[shift - 1]
    high = (1 << (bits - 1)) - 1
    return Mux(~fits, Mux(value[-1], Const(-high - 1, signed(bits)), Const(high, signed(bits))),
               Mux(round_up & (truncated == high), Const(high, signed(bits)),
                   (truncated + round_up)[:bits].as_signed()))
