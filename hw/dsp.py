"""Registered products: ``p = a * b`` two cycles after ``a`` and ``b``, in a DSP block
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

from dataclasses import dataclass

from amaranth.hdl import Cat, ClockSignal, Const, Instance, Module, Shape, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

# the operand bits one DSP multiplies, signed or unsigned alike; and of each product where
# one DSP holds two (the SB_MAC16's 8x8 mode; nextpnr-ecp5 has no MULT9X9D)
DSP_OPERAND_BITS = {"ecp5": 18, "ice40": 16}
DUAL_OPERAND_BITS = {"ice40": 8}


@dataclass
class DspTarget:
    """The family whose DSP primitives to use and how many of its DSPs are still free;
    multipliers claim them as they elaborate (the units of one system share them). It
    is also the target of the carry-chain adders (hw/ternary_adder.py)."""
    family: str
    free: int
    cells: int = 0          # DSP cells claimed
    products: int = 0       # the multipliers they hold
    carry_adders: int = 0   # ternary adds folded into carry chains

    def claim(self, a_bits: int, b_bits: int, products: int = 1,
              packed: bool = False) -> bool:
        """One DSP cell for ``products`` (1, or 2 in a dual mode) multipliers of these
        operand widths, if one is free and holds them; ``packed``: two products as one
        of the full width (b_bits: the packed operand's)."""
        # (no primitives of ours for other families: yosys infers their DSPs)
        limit = DSP_OPERAND_BITS.get(self.family, 0) if products == 1 or packed else \
            DUAL_OPERAND_BITS.get(self.family, 0)
        if self.free == 0 or max(a_bits, b_bits) > limit:
            return False
        self.free -= 1
        self.cells += 1
        self.products += products
        return True


def dsp_target(platform) -> DspTarget | None:
    """The DSP target ``elaborate`` was given: a DspTarget, or a board platform that
    carries one (boards/build.py sets ``accelgen_dsp_target``)."""
    if isinstance(platform, DspTarget):
        return platform
    return getattr(platform, "accelgen_dsp_target", None)


# cycles from the operands to their product in RegisteredProducts, on every target
PRODUCT_LATENCY = 2

# A register that copies a product into the fabric before an adder uses it. The DSP
# blocks sit in rows of their own: on the 8x8 INT8 arrays (ecp5-85k) the route from a
# MULT18X18D's output register to the accumulator took 3.3-4.6 ns of a 6.7-9 ns critical
# path; with this stage the route ends at a flip-flop and the add starts at one (8x8
# output-stationary: 110.6 / 138.8 / 147.0 MHz over seeds 1-3 before, 151.9 / 166.7 /
# 169.5 after). Every target has it, so that the arrays' latency is one figure.
DSP_ROUTE_STAGE = 1


def product_shape(a_shape, b_shape) -> Shape:
    """The exact product's shape: as wide as both operands, signed if either is."""
    return (Const(0, Shape.cast(a_shape)) * Const(0, Shape.cast(b_shape))).shape()


def packed_bits(a_shape: Shape, b_shape: Shape) -> int:
    """Width of b_low + b_high·2^s, s the product's width: two products a·b_low, a·b_high
    in one multiplier's a·(b_low + b_high·2^s), their bits apart."""
    return product_shape(a_shape, b_shape).width + b_shape.width + int(b_shape.signed)


def packs_pairs(platform, a_shape, b_shape) -> bool:
    """Whether two products that share ``a`` would take one DSP of the target: on ECP5,
    packed into one MULT18X18D (an INT8 x INT4 pair: 8 x 17 bits)."""
    target = dsp_target(platform)
    return target is not None and target.family == "ecp5" and \
        packed_bits(Shape.cast(a_shape), Shape.cast(b_shape)) <= DSP_OPERAND_BITS["ecp5"]


def column_pair_order(rows: int, cols: int, paired: bool) -> tuple[list, int]:
    """The PEs (i, j) of a rows x cols array in RegisteredProducts' order, and how many
    shared pairs lead it: with ``paired``, (i, j) and (i, j + 1) for even j side by side,
    then any PE of an odd last column."""
    pairs = [(i, j + half) for i in range(rows) for j in range(0, cols - 1, 2)
             for half in range(2)] if paired else []
    rest = [(i, j) for i in range(rows) for j in range(cols) if (i, j) not in pairs]
    return pairs + rest, len(pairs) // 2


class RegisteredProducts(wiring.Component):
    """``p[k]`` is ``a[k] * b[k]`` of PRODUCT_LATENCY (two) cycles before, for ``count``
    products of the same shapes: one register stage on the operands, one on the product
    (no reset: the control bits beside the data say when it is valid). On iCE40,
    products of operands up to 8 bits go two to an SB_MAC16 (its 8x8 mode); on ECP5 the
    first ``shared_pairs`` pairs (2q, 2q + 1), whose ``a`` the caller keeps equal, go two
    to a MULT18X18D where they fit packed (:func:`packs_pairs`); any other product takes
    a DSP of its own while the target has one free, then generic RTL.

    Parameters
    ----------
    a_shape, b_shape : Shape
        The operands; each product is as wide as both together, signed if either is.
    count : int
    shared_pairs : int
        Pairs of products at the front that share their ``a``.
    """

    def __init__(self, a_shape, b_shape, count: int = 1, shared_pairs: int = 0):
        self._a_shape, self._b_shape = Shape.cast(a_shape), Shape.cast(b_shape)
        self._count = count
        self._shared_pairs = shared_pairs
        assert 2 * shared_pairs <= count
        self._product = product = product_shape(self._a_shape, self._b_shape)
        super().__init__({"a": In(data.ArrayLayout(self._a_shape, count)),
                          "b": In(data.ArrayLayout(self._b_shape, count)),
                          "p": Out(data.ArrayLayout(product, count))})

    def elaborate(self, platform):
        m = Module()
        target = dsp_target(platform)
        widths = self._a_shape.width, self._b_shape.width
        k = 0
        if packs_pairs(platform, self._a_shape, self._b_shape):
            packed = packed_bits(self._a_shape, self._b_shape)
            while k < 2 * self._shared_pairs and target.claim(widths[0], packed, products=2,
                                                               packed=True):
                self._mult18x18d_pair(m, k)
                k += 2
        while target and k + 1 < self._count and target.claim(*widths, products=2):
            self._sb_mac16_dual(m, k)
            k += 2
        while target and k < self._count and target.claim(*widths):
            {"ecp5": self._mult18x18d, "ice40": self._sb_mac16}[target.family](m, k)
            k += 1
        for k in range(k, self._count):
            a = Signal(self._a_shape, reset_less=True, name=f"a{k}")
            b = Signal(self._b_shape, reset_less=True, name=f"b{k}")
            m.d.sync += [a.eq(self.a[k]), b.eq(self.b[k]), self.p[k].eq(a * b)]
        return m

    def _operands(self, m, k: int, bits: int):
        """Operands k extended to ``bits`` by their sign (signed) or zero."""
        a, b = Signal(bits, name=f"dsp_a{k}"), Signal(bits, name=f"dsp_b{k}")
        m.d.comb += [a.eq(self.a[k].as_signed() if self._a_shape.signed else self.a[k]),
                     b.eq(self.b[k].as_signed() if self._b_shape.signed else self.b[k])]
        return a, b

    def _mult18x18d(self, m, k: int):
        a, b = self._operands(m, k, 18)
        m.d.comb += self.p[k].eq(self._mult18x18d_instance(m, k, a, b))

    def _mult18x18d_pair(self, m, k: int):
        # a·(b_low + b_high·2^s): the low product is the low s bits; the high one the rest,
        # plus one where the low product is negative (it borrowed from the high bits)
        s = self._product.width
        a, b_low = self._operands(m, k, 18)
        _, b_high = self._operands(m, k + 1, 18)
        signed = self._b_shape.signed
        # b_low + b_high·2^s as b_low's low s bits below b_high less b_low's borrow: a
        # subtractor of 18 - s bits in front of the DSP, not one of 18
        b = Signal(18, name=f"dsp_b_packed{k}")
        borrow_in = b_low[-1] if signed else 0
        m.d.comb += b.eq(Cat(b_low[:s], (b_high - borrow_in)[:18 - s]))
        p = self._mult18x18d_instance(m, k, a, b)
        low = p[:s]
        borrow = low[-1] if self._product.signed else 0
        m.d.comb += [self.p[k].eq(low), self.p[k + 1].eq(p[s:] + borrow)]

    def _mult18x18d_instance(self, m, k: int, a, b) -> Signal:
        """A MULT18X18D of the 18-bit ``a`` and ``b``, registered; its 36-bit product."""
        # REG_INPUTA/B and REG_OUTPUT on CLK0 (nextpnr-ecp5 times NONE, INPUT, OUTPUT and
        # ALL; it ignores REG_PIPELINE); SRIA/SRIB stay unconnected (nextpnr issue 208)
        p = Signal(36, name=f"dsp_p{k}")
        registers = {f"p_REG_{name}_{what}": value
                     for name in ("INPUTA", "INPUTB", "OUTPUT")
                     for what, value in (("CLK", "CLK0"), ("CE", "CE0"), ("RST", "RST0"))}
        m.submodules[f"dsp{k}"] = Instance(
            "MULT18X18D", **registers, p_GSR="DISABLED", p_RESETMODE="SYNC",
            i_CLK0=ClockSignal(), i_CE0=Const(1), i_RST0=Const(0),
            i_SIGNEDA=Const(int(self._a_shape.signed)), i_SIGNEDB=Const(int(self._b_shape.signed)),
            i_SOURCEA=Const(0), i_SOURCEB=Const(0),
            **{f"i_A{bit}": a[bit] for bit in range(18)},
            **{f"i_B{bit}": b[bit] for bit in range(18)},
            **{f"i_C{bit}": Const(0) for bit in range(18)},
            **{f"o_P{bit}": p[bit] for bit in range(36)})
        return p

    def _sb_mac16(self, m, k: int):
        # A and B registered, the 16 x 16 product through the pipeline register H, out on
        # both halves of O
        a, b = self._operands(m, k, 16)
        m.d.comb += self.p[k].eq(self._mac16_instance(
            m, k, a, b, PIPELINE_16x16_MULT_REG2=1, TOPOUTPUT_SELECT=3, BOTOUTPUT_SELECT=3))

    def _sb_mac16_dual(self, m, k: int):
        # MODE_8x8: two independent 8 x 8 products, k on the bottom half (A[7:0] x B[7:0]
        # -> O[15:0]) and k + 1 on the top, each through its own output register
        (low_a, low_b), (high_a, high_b) = self._operands(m, k, 8), self._operands(m, k + 1, 8)
        o = self._mac16_instance(m, k, Cat(low_a, high_a), Cat(low_b, high_b), MODE_8x8=1,
                                 TOP_8x8_MULT_REG=1, BOT_8x8_MULT_REG=1, TOPOUTPUT_SELECT=2,
                                 BOTOUTPUT_SELECT=2)
        m.d.comb += [self.p[k].eq(o[:16]), self.p[k + 1].eq(o[16:])]

    def _mac16_instance(self, m, k: int, a, b, **registers) -> Signal:
        """An SB_MAC16 with A and B registered, configured by ``registers``; its O."""
        o = Signal(32, name=f"dsp_o{k}")
        width = {"TOPOUTPUT_SELECT": 2, "BOTOUTPUT_SELECT": 2}
        m.submodules[f"dsp{k}"] = Instance(
            "SB_MAC16", p_A_REG=Const(1, 1), p_B_REG=Const(1, 1),
            **{f"p_{name}": Const(value, width.get(name, 1))
               for name, value in registers.items()},
            p_A_SIGNED=Const(int(self._a_shape.signed), 1),
            p_B_SIGNED=Const(int(self._b_shape.signed), 1),
            i_CLK=ClockSignal(), i_CE=Const(1), i_A=a, i_B=b, i_C=Const(0, 16),
            i_D=Const(0, 16), **{f"i_{name}": Const(0) for name in (
                "AHOLD", "BHOLD", "CHOLD", "DHOLD", "IRSTTOP", "IRSTBOT", "ORSTTOP",
                "ORSTBOT", "OLOADTOP", "OLOADBOT", "ADDSUBTOP", "ADDSUBBOT", "OHOLDTOP",
                "OHOLDBOT", "CI", "ACCUMCI", "SIGNEXTIN")},
            o_O=o)
        return o
