"""Delay lines shared by the array components."""

from amaranth.hdl import Signal


def taps(m, value, cycles: int, *, name: str, reset_less: bool = False) -> list:
    """``value`` and its copies delayed by 1..``cycles`` registers; entry d is delayed d.

    Systolic arrays use these for skew (lane i enters the array i cycles late, so it
    meets lane j of the other operand in PE (i, j)) and for control flags, which PEs on
    one anti-diagonal (i + j = d) share instead of each carrying a copy.
    Works for plain values and for ``lib.data`` views. Data (``reset_less``) needs no
    reset: control bits that travel beside it say whether it is valid.
    """
    line = [value]
    for stage in range(cycles):
        register = Signal(value.shape(), name=f"{name}_d{stage + 1}", reset_less=reset_less)
        m.d.sync += register.eq(line[-1])
        line.append(register)
    return line


def data_register(shape, name: str) -> Signal:
    """A register of data (no reset: the control bits beside it say if it is valid)."""
    return Signal(shape, name=name, reset_less=True)


def delay(m, value, cycles: int, *, name: str):
    """Data ``value`` delayed by ``cycles`` registers (0 returns ``value`` itself)."""
    return taps(m, value, cycles, name=name, reset_less=True)[-1]
