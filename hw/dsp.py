"""Registered multipliers: ``p = a * b`` two cycles after ``a`` and ``b``, in a DSP block
with its own input and output registers where the target has one free.

Yosys infers bare multipliers on Lattice parts: on ECP5 it never packs registers into a
MULT18X18D, so the fabric registers around it leave 5-7 ns of routing on each side of
the block; on iCE40 nextpnr times every SB_MAC16 port as a register whatever its
configuration, so an unregistered one gives an optimistic Fmax. Instantiated with its
registers on, the DSP's timing is its own and nextpnr's figure is true.

The target comes through ``elaborate``'s platform (:func:`dsp_target`): a
:class:`DspTarget` given by `synth`, `build` or `generate --device`; with none (simulation,
other vendors) or once the device's DSPs are all claimed, the same two register stages
hold a generic product. Its latency is the same everywhere.
"""

from dataclasses import dataclass, field

from amaranth.hdl import ClockSignal, Const, Instance, Module, Shape, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

# the operand bits one DSP multiplies, signed or unsigned alike
DSP_OPERAND_BITS = {"ecp5": 18, "ice40": 16}


@dataclass
class DspTarget:
    """The family whose DSP primitives to use and how many of its DSPs are still free;
    multipliers claim them as they elaborate (the units of one system share them)."""
    family: str
    free: int
    claimed: list = field(default_factory=list)   # (a bits, b bits) of each DSP product

    def claim(self, a_bits: int, b_bits: int) -> bool:
        if self.free == 0 or max(a_bits, b_bits) > DSP_OPERAND_BITS[self.family]:
            return False
        self.free -= 1
        self.claimed.append((a_bits, b_bits))
        return True


def dsp_target(platform) -> DspTarget | None:
    """The DSP target ``elaborate`` was given: a DspTarget, or a board platform that
    carries one (boards/build.py sets ``accelgen_dsp_target``)."""
    if isinstance(platform, DspTarget):
        return platform
    return getattr(platform, "accelgen_dsp_target", None)


class RegisteredMultiplier(wiring.Component):
    """``p`` is ``a * b`` of two cycles before: one register stage on the operands, one
    on the product (no reset: the control bits beside the data say when it is valid).

    Parameters
    ----------
    a_shape, b_shape : Shape
        The operands; the product is as wide as both together, signed if either is.
    """

    def __init__(self, a_shape, b_shape):
        self._a_shape, self._b_shape = Shape.cast(a_shape), Shape.cast(b_shape)
        product = (Const(0, self._a_shape) * Const(0, self._b_shape)).shape()
        super().__init__({"a": In(self._a_shape), "b": In(self._b_shape), "p": Out(product)})

    def elaborate(self, platform):
        m = Module()
        target = dsp_target(platform)
        if target is not None and target.claim(self._a_shape.width, self._b_shape.width):
            {"ecp5": self._mult18x18d, "ice40": self._sb_mac16}[target.family](m)
        else:
            a = Signal(self._a_shape, reset_less=True)
            b = Signal(self._b_shape, reset_less=True)
            m.d.sync += [a.eq(self.a), b.eq(self.b), self.p.eq(a * b)]
        return m

    def _operands(self, m, bits: int):
        """The operands extended to the DSP's width, and whether each is signed."""
        a, b = Signal(bits), Signal(bits)
        m.d.comb += [a.eq(self.a.as_signed() if self._a_shape.signed else self.a),
                     b.eq(self.b.as_signed() if self._b_shape.signed else self.b)]
        return a, b

    def _mult18x18d(self, m):
        # REG_INPUTA/B and REG_OUTPUT on CLK0 (nextpnr-ecp5 times NONE, INPUT, OUTPUT and
        # ALL; it ignores REG_PIPELINE); SRIA/SRIB stay unconnected (nextpnr issue 208)
        a, b = self._operands(m, 18)
        p = Signal(36)
        registers = {f"p_REG_{name}_{what}": value
                     for name in ("INPUTA", "INPUTB", "OUTPUT")
                     for what, value in (("CLK", "CLK0"), ("CE", "CE0"), ("RST", "RST0"))}
        m.submodules.dsp = Instance(
            "MULT18X18D", **registers, p_GSR="DISABLED", p_RESETMODE="SYNC",
            i_CLK0=ClockSignal(), i_CE0=Const(1), i_RST0=Const(0),
            i_SIGNEDA=Const(int(self._a_shape.signed)),
            i_SIGNEDB=Const(int(self._b_shape.signed)),
            i_SOURCEA=Const(0), i_SOURCEB=Const(0),
            **{f"i_A{bit}": a[bit] for bit in range(18)},
            **{f"i_B{bit}": b[bit] for bit in range(18)},
            **{f"i_C{bit}": Const(0) for bit in range(18)},
            **{f"o_P{bit}": p[bit] for bit in range(36)})
        m.d.comb += self.p.eq(p)

    def _sb_mac16(self, m):
        # A and B registered, the 16 x 16 product through the pipeline register H, out on
        # both halves of O
        a, b = self._operands(m, 16)
        p = Signal(32)
        m.submodules.dsp = Instance(
            "SB_MAC16", p_A_REG=Const(1, 1), p_B_REG=Const(1, 1),
            p_PIPELINE_16x16_MULT_REG2=Const(1, 1),
            p_TOPOUTPUT_SELECT=Const(3, 2), p_BOTOUTPUT_SELECT=Const(3, 2),
            p_A_SIGNED=Const(int(self._a_shape.signed), 1),
            p_B_SIGNED=Const(int(self._b_shape.signed), 1),
            i_CLK=ClockSignal(), i_CE=Const(1), i_A=a, i_B=b, i_C=Const(0, 16),
            i_D=Const(0, 16), **{f"i_{name}": Const(0) for name in (
                "AHOLD", "BHOLD", "CHOLD", "DHOLD", "IRSTTOP", "IRSTBOT", "ORSTTOP",
                "ORSTBOT", "OLOADTOP", "OLOADBOT", "ADDSUBTOP", "ADDSUBBOT", "OHOLDTOP",
                "OHOLDBOT", "CI", "ACCUMCI", "SIGNEXTIN")},
            o_O=p)
        m.d.comb += self.p.eq(p)
