"""a + t·x for a ternary t: add, subtract or skip in one carry chain.

A ternary weight selects x, −x or 0, and that select is a LUT per bit in front of an
adder. On ECP5 the select folds into the adder itself: each bit of a CCU2C is a LUT4
(the propagate, here a ⊕ sel(x, nonzero, negative), from four inputs) in front of the
carry logic, whose generate is a LUT2 of the same LUT's first two inputs (INIT[3:0]).
With a on the first input the generate is a, which is right wherever the propagate is
0 (there a equals the selected bit, so the carry is a). The carry-in is ``negative``:
−x = ~x + 1. So an add, subtract or skip costs one LUT4 per sum bit, as a plain add
does.

iCE40 has no such fold: SB_CARRY computes its carry from two of the LUT's own inputs,
so the selected bit must exist as a net, from a LUT of its own.

The target comes through ``elaborate``'s platform, as for the DSPs (hw/dsp.py); without
an ECP5 target the same function is generic RTL, which yosys maps to a LUT per bit for
the select and a carry chain for the add.
"""

from amaranth.hdl import Const, Instance, Mux, Signal, signed

from .dsp import dsp_target


def ternary_select(x, nonzero, negative):
    """t·x less its +1 when t = −1: ~x (= −x − 1), x or 0. ``negative`` alone means −1."""
    return Mux(negative, ~x, Mux(nonzero, x, 0))


def _propagate_init() -> int:
    """INIT of a CCU2C half for a ⊕ sel(x, nonzero, negative); inputs A = a, B = x,
    C = nonzero, D = negative (the LUT4 indexes INIT by {D, C, B, A})."""
    init = 0
    for index in range(16):
        a, x, nonzero, negative = (index >> bit & 1 for bit in range(4))
        selected = (nonzero | negative) & (x ^ negative)
        init |= (a ^ selected) << index
    return init


PROPAGATE_INIT = _propagate_init()
assert PROPAGATE_INIT & 0xF == 0b1010, "the generate (INIT[3:0] of A, B) must be A"


def ternary_add(m, platform, a, x, nonzero, negative, name: str) -> Signal:
    """a + t·x exactly (t = −1 if ``negative``, else ``nonzero``), signed, one bit wider
    than the wider operand; combinational. ``a`` and ``x`` are signed."""
    width = max(len(a), len(x)) + 1
    total = Signal(signed(width), name=name)
    target = dsp_target(platform)
    if target is None or target.family != "ecp5":
        m.d.comb += total.eq(a + ternary_select(x, nonzero, negative) + negative)
        return total
    target.carry_adders += 1
    wide_a, wide_x = Signal(signed(width)), Signal(signed(width))
    m.d.comb += [wide_a.eq(a), wide_x.eq(x)]
    carry = negative
    for cell in range(0, width, 2):
        halves = range(cell, min(cell + 2, width))
        ports = {}
        for half, bit in enumerate(halves):
            ports.update({f"i_A{half}": wide_a[bit], f"i_B{half}": wide_x[bit],
                          f"i_C{half}": nonzero, f"i_D{half}": negative,
                          f"o_S{half}": total[bit]})
        if len(halves) == 1:        # an odd width leaves the second half unused
            ports.update({f"i_{pin}1": Const(0) for pin in "ABCD"})
        out = Signal(name=f"{name}_carry{cell // 2}")
        m.submodules[f"{name}_ccu{cell // 2}"] = Instance(
            "CCU2C", p_INIT0=Const(PROPAGATE_INIT, 16),
            p_INIT1=Const(PROPAGATE_INIT if len(halves) == 2 else 0, 16),
            p_INJECT1_0="NO", p_INJECT1_1="NO", i_CIN=carry, o_COUT=out, **ports)
        carry = out
    return total
