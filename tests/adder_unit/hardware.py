"""The adder unit: one beat of two operands in, their sum out."""

from amaranth.hdl import Module
from amaranth.lib import wiring

from accelgen.hw.streams import stream_signature

from .reference import input_layouts, output_layouts


class Adder(wiring.Component):
    """Adds the two operands of every beat.

    Each `operands` beat (a, b, last) gives one `result` beat (y = a + b, exact, and the
    same last), in order, under back-pressure on both ports."""

    def __init__(self, config):
        self._config = config
        super().__init__(stream_signature(input_layouts(config), output_layouts(config)))

    def elaborate(self, platform):
        m = Module()
        beat, result = self.operands.payload, self.result.payload
        if not self._config.registered:
            m.d.comb += [result.y.eq(beat.a + beat.b), result.last.eq(beat.last),
                         self.result.valid.eq(self.operands.valid),
                         self.operands.ready.eq(self.result.ready)]
            return m
        m.d.comb += self.operands.ready.eq(~self.result.valid | self.result.ready)
        with m.If(self.operands.ready):
            m.d.sync += [self.result.valid.eq(self.operands.valid),
                         result.y.eq(beat.a + beat.b), result.last.eq(beat.last)]
        return m
