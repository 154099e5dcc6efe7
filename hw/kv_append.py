"""The KV buffer's append engine: one token in, quantized, stored by the policy."""

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from accelgen.kv_config import KVBufferConfig, Policy
from accelgen.numbers import index_range

from .arithmetic import multiply_by_constant
from .kv_layouts import append_layout
from .kv_quantizer import KVQuantizer


class AppendEngine(wiring.Component):
    """Takes the next token from ``append`` after ``start``, then stores it in the slot
    its head's policy gives, or refuses it.

    The token's elements enter the quantizer's staging one per cycle (K and V side by
    side, ``lanes`` per beat; a beat with ``last`` ends the token early, the rest is
    0). Then the token is refused when ``head`` does not exist (or, with policy
    ``none``, is full), which raises ``refuse`` for the head table; else, once no read
    waits in the code memory's stage (``read_waiting``: the memory has one port), the
    quantizer's words go to the code memory one per cycle (``code_write``, from
    registers) and the K and V scales to the scale memory, and ``commit`` counts the
    token in. ``done`` marks the last cycle of the job (``refused`` says which way it
    went).
    """

    def __init__(self, config: KVBufferConfig):
        self._config = config
        super().__init__({
            "start": In(1), "append": In(stream.Signature(append_layout(config))),
            "head": In(config.head_bits), "length": In(range(config.max_tokens + 1)),
            "write_slot": In(range(config.max_tokens)), "read_waiting": In(1),
            "refuse": Out(1), "commit": Out(1), "done": Out(1), "refused": Out(1),
            "code_write_en": Out(1), "code_write_address": Out(range(config.code_depth)),
            "code_write_data": Out(unsigned(config.word_bits)),
            "scale_write_en": Out(1), "scale_write_address": Out(range(2 * config.rows)),
            "scale_write_data": Out(unsigned(config.scale_bits)),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        lanes, chunks, max_tokens = config.lanes, config.chunks, config.max_tokens
        m.submodules.quantizer = quantizer = KVQuantizer(config)
        element = Signal(index_range(config.head_dim))
        lane = Signal(index_range(lanes))
        element_last, lane_last = Signal(), Signal()
        append_row = Signal(range(config.rows))
        append_base = Signal(range(config.code_depth))
        m.d.sync += append_base.eq(multiply_by_constant(append_row, 2 * chunks))
        beat = self.append.payload
        m.d.comb += [quantizer.write_index.eq(element), quantizer.k.eq(beat.k[lane]),
                     quantizer.v.eq(beat.v[lane])]
        m.d.sync += self.code_write_en.eq(0)          # a write lasts one cycle
        with m.FSM(init="IDLE"):
            with m.State("IDLE"):
                with m.If(self.start):
                    m.d.comb += quantizer.clear.eq(1)
                    m.d.sync += [element.eq(0), lane.eq(0),
                                 element_last.eq(config.head_dim == 1),
                                 lane_last.eq(lanes == 1)]
                    m.next = "RECEIVE"
            with m.State("RECEIVE"):
                # the last lane and the last element are flags kept with the counters
                beat_end = lane_last | element_last
                with m.If(self.append.valid):
                    m.d.comb += [quantizer.write_en.eq(1), self.append.ready.eq(beat_end)]
                    m.d.sync += [element.eq(element + 1), lane.eq(Mux(beat_end, 0, lane + 1)),
                                 element_last.eq(element == config.head_dim - 2),
                                 lane_last.eq(Mux(beat_end, lanes == 1, lane == lanes - 2))]
                    with m.If(beat_end & (beat.last | element_last)):
                        m.d.sync += quantizer.received.eq(element + 1)
                        m.next = "DECIDE"
            with m.State("DECIDE"):
                refused = ~(self.head < config.heads)
                if config.policy is Policy.NONE:
                    refused |= self.length == max_tokens
                m.d.sync += append_row.eq(multiply_by_constant(self.head, max_tokens) +
                                          self.write_slot)
                with m.If(refused):
                    m.d.comb += [self.refuse.eq(1), self.refused.eq(1), self.done.eq(1)]
                    m.next = "IDLE"
                with m.Elif(~self.read_waiting):
                    m.d.comb += quantizer.run.eq(1)
                    m.next = "QUANTIZE"
            with m.State("QUANTIZE"):
                m.d.sync += [self.code_write_address.eq(append_base + quantizer.word_chunk +
                                                        Mux(quantizer.word_kind, chunks, 0)),
                             self.code_write_en.eq(quantizer.word_valid),
                             self.code_write_data.eq(quantizer.word)]
                with m.If(quantizer.done):
                    m.next = "SCALE_K"
            with m.State("SCALE_K"):
                m.d.comb += [self.scale_write_en.eq(1),
                             self.scale_write_address.eq(Cat(0, append_row)),
                             self.scale_write_data.eq(quantizer.scale_k)]
                m.next = "SCALE_V"
            with m.State("SCALE_V"):
                m.d.comb += [self.scale_write_en.eq(1),
                             self.scale_write_address.eq(Cat(1, append_row)),
                             self.scale_write_data.eq(quantizer.scale_v),
                             self.commit.eq(1), self.done.eq(1)]
                m.next = "IDLE"
        return m
