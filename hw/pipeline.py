"""Delay lines shared by the array components."""

from amaranth.hdl import Signal


def taps(m, value, cycles: int, *, name: str) -> list:
    """``value`` and its copies delayed by 1..``cycles`` registers; entry d is delayed d.

    Systolic arrays use these for skew (lane i enters the array i cycles late, so it
    meets lane j of the other operand in PE (i, j)) and for control flags, which PEs on
    one anti-diagonal (i + j = d) share instead of each carrying a copy.
    Works for plain values and for ``lib.data`` views.
    """
    line = [value]
    for stage in range(cycles):
        register = Signal(value.shape(), name=f"{name}_d{stage + 1}")
        m.d.sync += register.eq(line[-1])
        line.append(register)
    return line


def delay(m, value, cycles: int, *, name: str):
    """``value`` delayed by ``cycles`` registers (0 returns ``value`` itself)."""
    return taps(m, value, cycles, name=name)[-1]
