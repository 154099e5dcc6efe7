"""The KV buffer's answers: read-pipeline items become `result` beats."""

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from accelgen.kv_config import KVBufferConfig

from .kv_layouts import Op, read_item_layout, result_layout
from .pipeline import data_register


class AnswerSerializer(wiring.Component):
    """Takes an answer from the read pipeline and sends it on ``result``.

    A value item ending a pass (``at_value``) answers ``lanes`` beats, one per lane
    of ``sums`` (fewer in the last chunk of a head), positions counting up; an ack or
    a score item ending a token (``at_score``) answers one beat, the score its
    ``value``. ``advance`` is low while an answer waits for the previous one to leave,
    which holds the whole read pipeline.
    """

    def __init__(self, config: KVBufferConfig):
        self._config = config
        item = read_item_layout()
        super().__init__({
            "at_value": In(item), "at_score": In(item),
            "sums": In(data.ArrayLayout(signed(config.result_bits), config.lanes)),
            "score": In(signed(config.result_bits)),
            "advance": Out(1),
            "result": Out(stream.Signature(result_layout(config))),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        lanes, chunks = config.lanes, config.chunks
        at_value, at_score, result = self.at_value, self.at_score, self.result
        remaining = Signal(range(lanes + 1))
        out_values = [data_register(signed(config.result_bits), f"out_value{j}")
                      for j in range(lanes)]
        out = Signal(read_item_layout(), name="out")
        emit_values = at_value.valid & (at_value.op == Op.VALUE) & at_value.pass_end
        emit_scalar = at_score.valid & (at_score.op != Op.VALUE) & at_score.token_end
        transfer = result.valid & result.ready
        can_take = (remaining == 0) | ((remaining == 1) & result.ready)
        m.d.comb += self.advance.eq(~((emit_values | emit_scalar) & ~can_take))
        m.d.comb += [result.valid.eq(remaining != 0),
                     result.payload.op.eq(out.op), result.payload.flag.eq(out.flag),
                     result.payload.position.eq(out.position),
                     result.payload.value.eq(out_values[0]),
                     result.payload.last.eq(out.last & (remaining == 1))]
        with m.If(transfer):
            m.d.sync += [remaining.eq(remaining - 1), out.position.eq(out.position + 1)]
            m.d.sync += [out_values[j].eq(out_values[j + 1]) for j in range(lanes - 1)]
        short = config.head_dim - (chunks - 1) * lanes
        with m.If(self.advance & emit_values):
            m.d.sync += [out.eq(at_value), remaining.eq(Mux(at_value.final_chunk, short, lanes))]
            m.d.sync += [out_values[j].eq(self.sums[j]) for j in range(lanes)]
        with m.If(self.advance & emit_scalar):
            m.d.sync += [out.eq(at_score), remaining.eq(1), out_values[0].eq(self.score)]
        return m
