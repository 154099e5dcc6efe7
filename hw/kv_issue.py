"""The KV buffer's read issuer: a score or weighted-value job as read-pipeline items."""

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from accelgen.kv_config import POSITION_BITS, WEIGHT_BITS, KVBufferConfig
from accelgen.numbers import index_range

from .banks import pick
from .kv_layouts import Op, read_item_layout


class ReadIssuer(wiring.Component):
    """Issues one read-pipeline item per cycle that ``advance`` allows, for the job
    ``op`` that ``start`` begins (the walk is set up by then).

    A score job waits for a q in the query buffer (slot ``q_slot``, alternating), then
    issues every chunk of every token the walk visits (one null item if the head is
    empty), reading q's chunk beside each code word and releasing the q after the last.
    A weighted-value job takes its p_t from the ``command`` beats in pass 0 (chunk 0 of
    every token; p_t also goes to the weight memory), drops beats past the tokens held,
    then runs a pass per further chunk with p_t read back. ``done`` marks the job's
    last cycle.
    """

    def __init__(self, config: KVBufferConfig):
        self._config = config
        tokens = range(config.max_tokens + 1)
        chunk = index_range(config.chunks)
        super().__init__({
            "start": In(1), "op": In(2), "advance": In(1), "done": Out(1),
            # the walk (TokenWalker)
            "held": In(tokens), "tokens_left": In(tokens), "index": In(range(config.max_tokens)),
            "position": In(POSITION_BITS), "row": In(range(config.rows)),
            "base": In(range(config.code_depth)),
            "walk_load": Out(1), "walk_count": Out(tokens), "walk_step": Out(1),
            # p_t beats of a weighted-value job
            "command_valid": In(1), "command_last": In(1), "command_p": In(WEIGHT_BITS),
            "command_ready": Out(1),
            # the query buffer (VectorBuffer)
            "queries_full": In(2), "queries_chunks_last": In(data.ArrayLayout(chunk, 2)),
            "query_read": Out(1), "query_chunk": Out(chunk), "query_slot": Out(1),
            "query_release": Out(1),
            # the item and its read addresses; p_t into the weight memory
            "issued": Out(read_item_layout()),
            "read_code": Out(range(config.code_depth)), "read_scale": Out(range(2 * config.rows)),
            "read_weight": Out(range(config.max_tokens)),
            "weight_write_en": Out(1), "weight_write_address": Out(range(config.max_tokens)),
            "weight_write_data": Out(unsigned(WEIGHT_BITS)),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        chunks, lanes = config.chunks, config.lanes
        advance, issued = self.advance, self.issued
        chunk = Signal(index_range(chunks))
        value_pass = Signal(index_range(chunks))
        taken = Signal(range(config.max_tokens + 1))          # tokens in the passes
        q_slot = Signal()

        def load_walk(count):
            m.d.comb += [self.walk_load.eq(1), self.walk_count.eq(count)]
            m.d.sync += chunk.eq(0)

        def finish():
            m.d.comb += self.done.eq(1)
            m.next = "IDLE"

        with m.If(advance):
            m.d.sync += [self.query_read.eq(0), self.query_release.eq(0)]
        with m.FSM(init="IDLE"):
            with m.State("IDLE"):
                with m.If(self.start):
                    m.next = "BASES"
            with m.State("BASES"):
                # the walk's start addresses were computed from its rows in the cycle before
                m.d.sync += value_pass.eq(0)
                with m.If(self.op == Op.SCORE):
                    with m.If(pick(q_slot, [self.queries_full[0], self.queries_full[1]])):
                        load_walk(self.held)
                        m.next = "SCORE"
                with m.Else():
                    load_walk(self.held)
                    m.next = "VALUE_FIRST"

            with m.State("SCORE"):
                null = self.held == 0
                token_end = (chunk == chunks - 1) | null
                final = token_end & (self.tokens_left <= 1)
                m.d.comb += [issued.valid.eq(1), issued.op.eq(Op.SCORE), issued.flag.eq(null),
                             issued.null.eq(null),
                             issued.position.eq(Mux(null, 0, self.position)),
                             issued.token_first.eq(chunk == 0), issued.token_end.eq(token_end),
                             issued.last.eq(final),
                             issued.q_zero.eq(chunk > self.queries_chunks_last[q_slot]),
                             self.read_code.eq(self.base + chunk),
                             self.read_scale.eq(Cat(0, self.row))]
                with m.If(advance):
                    m.d.sync += [self.query_read.eq(1), self.query_chunk.eq(chunk),
                                 self.query_slot.eq(q_slot), self.query_release.eq(final)]
                    with m.If(token_end):
                        m.d.sync += chunk.eq(0)
                        m.d.comb += self.walk_step.eq(1)
                    with m.Else():
                        m.d.sync += chunk.eq(chunk + 1)
                    with m.If(final):
                        m.d.sync += q_slot.eq(~q_slot)
                        finish()

            # -- weighted values: pass 0 takes p_t from the beats, the others from memory --
            value_item = [issued.op.eq(Op.VALUE),
                          self.read_code.eq(self.base + chunks + value_pass),
                          self.read_scale.eq(Cat(1, self.row)),
                          issued.position.eq(value_pass * lanes),
                          issued.final_chunk.eq(value_pass == chunks - 1),
                          issued.pass_first.eq(self.index == 0), issued.token_first.eq(1),
                          issued.token_end.eq(1)]

            def after_the_frame():
                if chunks == 1:
                    finish()
                else:
                    m.next = "VALUE_PASS"
            with m.State("VALUE_FIRST"):
                m.d.comb += [self.command_ready.eq(advance), *value_item]
                null = self.held == 0
                pass_end = self.command_last | (self.tokens_left <= 1)
                with m.If(self.command_valid & advance):
                    m.d.comb += [issued.valid.eq(~null | self.command_last),
                                 issued.null.eq(null), issued.p_direct.eq(1),
                                 issued.p.eq(self.command_p), issued.pass_end.eq(pass_end),
                                 issued.last.eq(pass_end & int(chunks == 1)),
                                 self.weight_write_en.eq(~null),
                                 self.weight_write_address.eq(self.index),
                                 self.weight_write_data.eq(self.command_p)]
                    with m.If(~null):
                        m.d.comb += self.walk_step.eq(1)
                    with m.If(pass_end & (~null | self.command_last)):
                        count = Mux(null, 0, self.index + 1)
                        m.d.sync += [taken.eq(count), value_pass.eq(1)]
                        load_walk(count)
                        with m.If(self.command_last):
                            after_the_frame()
                        with m.Else():
                            m.next = "VALUE_SKIP"
            with m.State("VALUE_SKIP"):
                m.d.comb += self.command_ready.eq(1)
                with m.If(self.command_valid & self.command_last):
                    after_the_frame()
            with m.State("VALUE_PASS"):
                null = taken == 0
                pass_end = self.tokens_left <= 1
                final = value_pass == chunks - 1
                m.d.comb += [*value_item, issued.valid.eq(1), issued.null.eq(null),
                             issued.pass_end.eq(pass_end), issued.last.eq(pass_end & final),
                             self.read_weight.eq(self.index)]
                with m.If(advance):
                    with m.If(pass_end):
                        m.d.sync += value_pass.eq(value_pass + 1)
                        load_walk(taken)
                        with m.If(final):
                            finish()
                    with m.Else():
                        m.d.comb += self.walk_step.eq(1)
        return m
