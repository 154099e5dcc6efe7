"""The MLGRU token-mixer cell of the MatMul-free LM, in the ternary unit's fixed point.
The hidden state h stays on chip across time steps."""

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from accelgen.formats.ternary_codes import sigmoid_table
from accelgen.ternary_config import TernaryConfig

from .arithmetic import round_shift
from .pipeline import data_register

F_GATE, C_GATE, G_GATE = range(3)


def state_depth(config) -> int:
    """Hidden-state words: one per hidden block, at least two (a one-word memory has a
    zero-width address, which yosys writes as a [-1:0] wire)."""
    return max(2, config.max_hidden_blocks)


def sigmoid(z, fraction_bits: int):
    """σ(z) with F fractional bits from the piecewise-linear table: a compare, a shift
    and an add per segment (golden: golden.ternary.sigmoid_fixed)."""
    magnitude = Mux(z < 0, -z, z).as_unsigned()
    table = sigmoid_table(fraction_bits)
    value = 0
    for start, shift, intercept in reversed(table):   # the largest start wins
        slope = 0 if shift is None else magnitude >> shift
        # the lowest segment starts at 0, where the comparison is always true
        value = slope + intercept if start == 0 else Mux(magnitude >= start,
                                                           slope + intercept, value)
    one = 1 << fraction_bits
    return Mux(z < 0, one - value, value)[:fraction_bits + 1]


class MLGRUCell(wiring.Component):
    """h = f·h_prev + (1 − f)·c and o = g·h for one hidden block of lanes_out elements.

    The pre-activations of a block arrive as three beats, W_f x, then W_c x, then W_g x
    (``phase`` 0, 1, 2). f = σ(·) and g = σ(·) come from the piecewise-linear table,
    c = z·σ(z) (SiLU); h_prev comes from the on-chip state (0 after reset or with
    ``start``), and o leaves ``config.mlgru_stages`` cycles after the g beat (golden:
    golden.ternary.mlgru_fixed).

    Parameters
    ----------
    config : TernaryConfig
    """

    def __init__(self, config: TernaryConfig):
        assert config.mlgru
        self._config = config
        lanes = data.ArrayLayout(signed(config.output_bits), config.lanes_out)
        super().__init__({
            "valid": In(1),
            "phase": In(range(3)),
            "z": In(lanes),
            "block": In(range(state_depth(config))),
            "start": In(1),
            "last": In(1),
            "rows_valid": In(range(config.lanes_out + 1)),
            "o_valid": Out(1),
            "o_last": Out(1),
            "o": Out(lanes),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        lanes, bits, fraction = config.lanes_out, config.output_bits, config.scale_fraction_bits
        gate = unsigned(fraction + 1)

        m.submodules.state = state = Memory(shape=unsigned(bits * lanes),
                                            depth=state_depth(config), init=[])
        read, write = state.read_port(), state.write_port()
        # a block's state is valid once written since reset; before that h_prev is 0
        written = Signal(config.max_hidden_blocks)

        # Stage 1: σ of every beat.
        control = data.StructLayout({"valid": 1, "phase": range(3), "block": read.addr.shape(),
                                     "start": 1, "last": 1,
                                     "rows_valid": range(lanes + 1)})
        c1 = Signal(control)
        m.d.sync += [c1.valid.eq(self.valid), c1.phase.eq(self.phase),
                     c1.block.eq(self.block), c1.start.eq(self.start),
                     c1.last.eq(self.last), c1.rows_valid.eq(self.rows_valid)]
        # Stage 2: SiLU of the c beat; the g beat takes a snapshot of f and c and reads
        # h_prev.
        c2 = Signal(control)
        m.d.sync += c2.eq(c1)
        m.d.sync += c2.valid.eq(c1.valid & (c1.phase == G_GATE))
        m.d.comb += read.addr.eq(c1.block)
        keep = Signal()
        m.d.sync += keep.eq(~c1.start & (written >> c1.block)[0])
        # Stage 3: the h product; stage 4: h; stage 5: the o product;
        # stage 6: o.
        c3, c4, c5, c6 = (Signal(control, name=f"c{stage}") for stage in range(3, 7))
        m.d.sync += [c3.eq(c2), c4.eq(c3), c5.eq(c4), c6.eq(c5)]
        # h is written as it is formed (while c3 holds the g beat): the next step reads
        # the block three beats later at the earliest (its f, c and g), and sees it
        with m.If(c3.valid):
            m.d.sync += written.bit_select(c3.block, 1).eq(1)
        m.d.comb += [write.addr.eq(c3.block), write.en.eq(c3.valid)]

        for lane in range(lanes):
            z1 = data_register(signed(bits), f"z{lane}")
            s1 = data_register(gate, f"sigma{lane}")
            m.d.sync += [z1.eq(self.z[lane]), s1.eq(sigmoid(self.z[lane], fraction))]
            f, c = data_register(gate, f"f{lane}"), data_register(signed(bits), f"c{lane}")
            silu = round_shift(z1 * s1, fraction)
            with m.If(c1.valid & (c1.phase == F_GATE)):
                m.d.sync += f.eq(s1)
            with m.If(c1.valid & (c1.phase == C_GATE)):
                m.d.sync += c.eq(silu)
            f2, c2_, g2 = (data_register(shape, f"{name}2_{lane}") for name, shape in
                           (("f", gate), ("c", signed(bits)), ("g", gate)))
            m.d.sync += [f2.eq(f), c2_.eq(c), g2.eq(s1)]

            h_prev = Mux(keep, read.data[lane * bits:(lane + 1) * bits].as_signed(), 0)
            product = data_register(signed(bits + fraction + 3), f"h_product{lane}")
            c3_, g3 = data_register(signed(bits), f"c3_{lane}"), data_register(gate, f"g3_{lane}")
            m.d.sync += [product.eq(f2 * (h_prev - c2_)), c3_.eq(c2_), g3.eq(g2)]

            h = data_register(signed(bits), f"h{lane}")
            g4 = data_register(gate, f"g4_{lane}")
            h_next = (c3_ + round_shift(product, fraction))[:bits].as_signed()
            m.d.sync += [h.eq(h_next), g4.eq(g3)]
            m.d.comb += write.data[lane * bits:(lane + 1) * bits].eq(h_next)

            o_product = data_register(signed(bits + fraction + 2), f"o_product{lane}")
            m.d.sync += o_product.eq(g4 * h)
            o = data_register(signed(bits), f"o{lane}")
            m.d.sync += o.eq(Mux(lane < c5.rows_valid,
                                 round_shift(o_product, fraction)[:bits].as_signed(), 0))
            m.d.comb += self.o[lane].eq(o)

        m.d.comb += [self.o_valid.eq(c6.valid), self.o_last.eq(c6.last)]
        return m
