"""The adder unit: one beat of two operands in, their sum out."""

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring

from accelgen.hw.streams import stream_signature

from .reference import input_layouts, output_layouts


class Adder(wiring.Component):
    """Adds the two operands of every beat.

    Each `operands` beat (a, b, last) gives one `result` beat (y = a + b, exact, and the
    same last) `stages` cycles later, in order, under back-pressure on both ports."""

    def __init__(self, config):
        self._config = config
        super().__init__(stream_signature(input_layouts(config), output_layouts(config)))

    def elaborate(self, platform):
        m = Module()
        layout = self.result.payload.shape()
        beat = self.operands.payload
        stages = [Signal(layout, name=f"stage{index}") for index in range(self._config.stages)]
        valid = [Signal(name=f"valid{index}") for index in range(self._config.stages)]
        # a stage takes a new value when it is empty or the one after it takes its own
        takes = [Signal(name=f"takes{index}") for index in range(self._config.stages)]
        downstream = self.result.ready
        for index in reversed(range(self._config.stages)):
            m.d.comb += takes[index].eq(~valid[index] | downstream)
            downstream = takes[index]
        sum_beat = Signal(layout)
        m.d.comb += [sum_beat.y.eq(beat.a + beat.b), sum_beat.last.eq(beat.last)]
        sources = [(self.operands.valid, sum_beat)]
        sources += [(valid[index], stages[index]) for index in range(len(stages) - 1)]
        for index, (source_valid, source) in enumerate(sources):
            with m.If(takes[index]):
                m.d.sync += [valid[index].eq(source_valid), stages[index].eq(source)]
        m.d.comb += [self.operands.ready.eq(takes[0]), self.result.valid.eq(valid[-1]),
                     self.result.payload.eq(stages[-1])]
        return m
