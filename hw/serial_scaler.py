"""BitMoD's dequantization unit: each group's partial sum times its 8-bit scale, by
shift-and-add over the scale's bits, accumulated into the row's result."""

from amaranth.hdl import Mux, Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from accelgen.bitserial_config import SCALE_BITS, BitSerialConfig

from .arithmetic import round_saturate
from .pipeline import data_register


class SerialScaler(wiring.Component):
    """With ``start``: row r's result += scales[r] · sums[r], for every row at once,
    one scale bit per cycle from the top (t ← 2t + bit·sum), then t adds to the result
    in the next cycle; a new ``start`` may come every SCALE_BITS cycles.
    ``clear`` starts a row's result from 0 (its first group); with ``finish`` the
    result leaves as ``y`` = round_saturate(result, output_shift, output_bits) with
    ``done`` (and ``last`` as given), two cycles after the last bit.

    Parameters
    ----------
    config : BitSerialConfig
    """

    def __init__(self, config: BitSerialConfig):
        self._config = config
        pes = config.pes
        super().__init__({
            "start": In(1), "clear": In(1), "finish": In(1), "last": In(1),
            "sums": In(data.ArrayLayout(signed(config.group_sum_bits), pes)),
            "scales": In(data.ArrayLayout(unsigned(SCALE_BITS), pes)),
            "y": Out(data.ArrayLayout(signed(config.output_bits), pes)),
            "y_last": Out(1),
            "done": Out(1),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        busy = Signal()
        bit_index = Signal(range(SCALE_BITS))
        clear, finish, last = Signal(), Signal(), Signal()
        final_bit = busy & (bit_index == SCALE_BITS - 1)
        # the product adds to the result a cycle after its last bit: one adder per cycle
        adding = Signal()
        adding_clear, adding_finish, adding_last = Signal(), Signal(), Signal()
        with m.If(busy):
            m.d.sync += bit_index.eq(bit_index + 1)
            with m.If(final_bit):
                m.d.sync += busy.eq(0)
        m.d.sync += [adding.eq(final_bit), self.done.eq(adding & adding_finish)]
        with m.If(final_bit):
            m.d.sync += [adding_clear.eq(clear), adding_finish.eq(finish),
                         adding_last.eq(last)]
        with m.If(adding):
            m.d.sync += self.y_last.eq(adding_last)
        with m.If(self.start):
            m.d.sync += [busy.eq(1), bit_index.eq(0), clear.eq(self.clear),
                         finish.eq(self.finish), last.eq(self.last)]
        for row in range(config.pes):
            partial = data_register(signed(config.group_sum_bits), f"partial{row}")
            scale = data_register(unsigned(SCALE_BITS), f"scale{row}")   # the bits to come
            # bit·sum for this cycle's bit, chosen a cycle ahead: the bit drove every
            # bit's gate in front of the adder, and that fan-out was the unit's critical
            # path on the UP5K once its handshake was a register (the gate becomes the
            # flip-flops' synchronous reset)
            addend = data_register(partial.shape(), f"addend{row}")
            product = data_register(signed(config.group_sum_bits + SCALE_BITS), f"product{row}")
            finished = data_register(product.shape(), f"finished{row}")
            result = data_register(signed(config.row_sum_bits), f"result{row}")
            step = (product << 1) + addend
            with m.If(busy):
                m.d.sync += [product.eq(step), scale.eq(scale << 1),
                             addend.eq(Mux(scale[SCALE_BITS - 1], partial, 0))]
            with m.If(final_bit):
                m.d.sync += finished.eq(step)
            with m.If(adding):
                m.d.sync += result.eq(Mux(adding_clear, 0, result) + finished)
            with m.If(self.start):
                top = self.scales[row][SCALE_BITS - 1]
                m.d.sync += [partial.eq(self.sums[row]), scale.eq(self.scales[row] << 1),
                             addend.eq(Mux(top, self.sums[row], 0)), product.eq(0)]
            m.d.comb += self.y[row].eq(round_saturate(result, config.output_shift,
                                                      config.output_bits))
        return m
