"""On-chip KV cache for LLM decoding: quantized K/V per head and token in block RAM
(or SPRAM), eviction by policy, and the score and weighted-value read engines."""

from amaranth.hdl import Array, Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory as MemoryBlock
from amaranth.lib.wiring import Out

from accelgen.kv_config import (OPERAND_BITS, POSITION_BITS, WEIGHT_BITS, KVBufferConfig, Memory,
                                Policy)
from accelgen.netlist import uninitialized
from accelgen.numbers import index_range

from .adder_tree import adder_tree
from .arithmetic import multiply_by_constant, round_shift
from .kv_layouts import Op, input_layouts, output_layouts, query_layout, status_layout
from .kv_quantizer import KVQuantizer
from .pipeline import data_register, delay, taps
from .streams import stream_signature
from .vector_buffer import VectorBuffer


class KVBuffer(wiring.Component):
    """A KV cache of ``heads`` x ``max_tokens`` tokens, driven by ``command`` beats
    that run one after another.

    An append command takes the next token (K and V, ``chunks`` beats) from ``append``,
    quantizes it and stores it by the eviction policy; its answer on ``result`` is the
    token's position, or the refused flag. A score command takes the next q from
    ``query`` and answers one beat per token held, in position order: (q·c_t)·a_t.
    A weighted-value command is a frame of p_t beats on ``command``; its answer is
    head_dim beats Σ_t w_t·c_t,i. A clear command forgets one head's tokens, or every
    head's, and answers one beat. ``status`` shows each head's length, next position
    and overflow flag.

    Parameters
    ----------
    config : KVBufferConfig
    """

    def __init__(self, config: KVBufferConfig):
        self._config = config
        members = stream_signature(input_layouts(config), output_layouts(config))
        members["status"] = Out(status_layout(config))
        super().__init__(members)

    def elaborate(self, platform):
        config = self._config
        m = Module()
        lanes, chunks, max_tokens = config.lanes, config.chunks, config.max_tokens
        stride = 2 * chunks
        last_slot = max_tokens - 1

        # --- per-head state ----------------------------------------------------------
        # Read through `of_head` (head numbers past `heads` read 0), written per head
        # under `for_head` (they touch nothing).
        lengths = [Signal(range(max_tokens + 1), name=f"length{h}")
                   for h in range(config.heads)]
        appended = [Signal(POSITION_BITS, name=f"appended{h}") for h in range(config.heads)]
        write_slots = [Signal(range(max_tokens), name=f"write_slot{h}")
                       for h in range(config.heads)]
        overflows = [Signal(name=f"overflow{h}") for h in range(config.heads)]
        spare = [0] * ((1 << config.head_bits) - config.heads)

        def of_head(signals):
            return Array([*signals, *spare])[head]

        def for_head(update):
            for h in range(config.heads):
                with m.If(head == h):
                    m.d.sync += update(h)
        for h in range(config.heads):
            m.d.comb += [self.status.length[h].eq(lengths[h]),
                         self.status.appended[h].eq(appended[h]),
                         self.status.overflow[h].eq(overflows[h])]

        # --- storage -----------------------------------------------------------------
        style = "huge" if config.memory is Memory.SPRAM else "block"
        # every word is written before it is read: no initial contents (SPRAM has none)
        m.submodules.codes = codes = MemoryBlock(shape=unsigned(config.word_bits),
                                                 depth=config.code_depth, init=[],
                                                 attrs=uninitialized({"ram_style": style}))
        code_write, code_read = codes.write_port(), codes.read_port()
        # One address for reads and writes, and no read while writing: a single-port RAM
        # whose output holds during writes, as SPRAM's does. Addresses, write data and
        # enables come from registers: the UP5K's four SPRAM blocks sit in its corners.
        code_address = Signal(range(config.code_depth))      # of the issued read
        scale_address = Signal(range(2 * config.rows))
        weight_address = Signal(range(max_tokens))
        code_write_address = Signal(range(config.code_depth))
        m.d.comb += [code_write.addr.eq(Mux(code_write.en, code_write_address, code_address)),
                     code_read.addr.eq(code_write.addr)]
        m.submodules.scales = scales = MemoryBlock(shape=unsigned(config.scale_bits),
                                                   depth=2 * config.rows, init=[],
                                                   attrs={"ram_style": "block"})
        scale_write, scale_read = scales.write_port(), scales.read_port()
        m.submodules.weights = weights = MemoryBlock(shape=unsigned(WEIGHT_BITS),
                                                     depth=max_tokens, init=[],
                                                     attrs={"ram_style": "block"})
        weight_write, weight_read = weights.write_port(), weights.read_port()
        m.submodules.queries = queries = VectorBuffer(query_layout(config), chunks)
        wiring.connect(m, wiring.flipped(self.query), queries.vector)
        m.submodules.quantizer = quantizer = KVQuantizer(config)

        # --- the read pipeline: one item per cycle, all stages move on `advance` ------
        item_layout = data.StructLayout({
            "valid": 1, "op": 2, "flag": 1, "position": POSITION_BITS, "last": 1,
            "null": 1, "token_first": 1, "token_end": 1, "pass_first": 1, "pass_end": 1,
            "final_chunk": 1, "p_direct": 1, "p": WEIGHT_BITS, "q_zero": 1})
        issued = Signal(item_layout, name="issued")
        advance = Signal()
        score_stage = config.read_stages
        value_stage = config.value_stage
        with m.If(advance):
            items = taps(m, issued, score_stage, name="item")
        # stage 1 holds the issued item's read addresses, stage 2 the words read
        read_code, read_scale, read_weight = (Signal.like(signal, name=f"read_{name}")
                                              for signal, name in ((code_address, "code"),
                                                                   (scale_address, "scale"),
                                                                   (weight_address, "weight")))
        read_query, release_query = Signal(), Signal()
        query_chunk = Signal(index_range(chunks))
        query_slot = Signal()
        with m.If(advance):
            m.d.sync += [code_address.eq(read_code), scale_address.eq(read_scale),
                         weight_address.eq(read_weight), read_query.eq(0),
                         release_query.eq(0)]
        m.d.comb += [code_read.en.eq(advance & ~code_write.en),
                     scale_read.addr.eq(scale_address), weight_read.addr.eq(weight_address),
                     queries.read_en.eq(advance & read_query),
                     queries.read_chunk.eq(query_chunk), queries.read_slot.eq(query_slot),
                     queries.release.eq(advance & release_query),
                     queries.release_slot.eq(query_slot)]
        for read in (scale_read, weight_read):
            m.d.comb += read.en.eq(advance)

        # --- job registers and the walk over a head's tokens in position order ------------
        head = Signal(config.head_bits)
        head_ok = head < config.heads
        op = Signal(2)
        held = Signal(range(max_tokens + 1))
        sinks_held = Signal(range(max_tokens + 1))
        ring_count = Signal(range(max_tokens + 1))
        ring_slot = Signal(range(max_tokens))
        ring_position = Signal(POSITION_BITS)
        first_position = Signal(POSITION_BITS)
        head_row = Signal(range(config.rows))
        start_slot = Signal(range(max_tokens))
        # rows (head·max_tokens + slot) and code addresses (row·stride) where a walk
        # starts, where it leaves the sinks for the ring, where the ring wraps around
        start_row, ring_row, wrap_row = (Signal(range(config.rows), name=name)
                                         for name in ("start_row", "ring_row", "wrap_row"))
        start_address, ring_address, wrap_address = (
            Signal(range(config.code_depth), name=name)
            for name in ("start_address", "ring_address", "wrap_address"))
        m.d.sync += [start_address.eq(multiply_by_constant(start_row, stride)),
                     ring_address.eq(multiply_by_constant(ring_row, stride)),
                     wrap_address.eq(multiply_by_constant(wrap_row, stride))]
        slot = Signal(range(max_tokens))
        row = Signal(range(config.rows))
        base = Signal(range(config.code_depth))
        in_sinks = Signal()
        tokens_left = Signal(range(max_tokens + 1))
        index = Signal(range(max_tokens))
        position = Signal(POSITION_BITS)
        chunk = Signal(index_range(chunks))
        value_pass = Signal(index_range(chunks))
        taken = Signal(range(max_tokens + 1))          # tokens in a value job's passes
        q_slot = Signal()

        def load_walk(count):
            return [slot.eq(start_slot), row.eq(start_row), base.eq(start_address),
                    in_sinks.eq(sinks_held != 0), tokens_left.eq(count), index.eq(0),
                    position.eq(first_position), chunk.eq(0)]

        def step_walk():
            m.d.sync += [index.eq(index + 1), tokens_left.eq(tokens_left - 1)]
            with m.If(in_sinks & (slot == sinks_held - 1)):
                m.d.sync += [slot.eq(ring_slot), row.eq(ring_row), base.eq(ring_address),
                             in_sinks.eq(0), position.eq(ring_position)]
            with m.Elif(slot == last_slot):
                m.d.sync += [slot.eq(config.ring_base), row.eq(wrap_row), base.eq(wrap_address),
                             position.eq(position + 1)]
            with m.Else():
                m.d.sync += [slot.eq(slot + 1), row.eq(row + 1), base.eq(base + stride),
                             position.eq(position + 1)]

        # --- appends: staging, then quantized words into the slot the policy gives --------
        element = Signal(index_range(config.head_dim))
        lane = Signal(index_range(lanes))
        element_last, lane_last = Signal(), Signal()
        append_row = Signal(range(config.rows))
        append_base = Signal(range(config.code_depth))
        m.d.sync += append_base.eq(multiply_by_constant(append_row, stride))
        ack_op = Signal(2)
        ack_flag = Signal()
        ack_position = Signal(POSITION_BITS)
        beat = self.append.payload
        command = self.command.payload
        m.d.comb += [quantizer.write_index.eq(element), quantizer.k.eq(beat.k[lane]),
                     quantizer.v.eq(beat.v[lane])]

        sinks = config.sink_tokens
        wraps = config.policy is not Policy.NONE
        m.d.sync += code_write.en.eq(0)          # a write lasts one cycle (QUANTIZE's)
        with m.FSM(init="IDLE"):
            with m.State("IDLE"):
                m.d.comb += self.command.ready.eq(self.command.payload.op != Op.VALUE)
                with m.If(self.command.valid):
                    m.d.sync += [head.eq(command.head), op.eq(command.op)]
                    with m.Switch(command.op):
                        with m.Case(Op.APPEND):
                            m.d.comb += quantizer.clear.eq(1)
                            m.d.sync += [element.eq(0), lane.eq(0),
                                         element_last.eq(config.head_dim == 1),
                                         lane_last.eq(lanes == 1)]
                            m.next = "RECEIVE"
                        with m.Case(Op.CLEAR):
                            for h in range(config.heads):
                                with m.If(command.all | (command.head == h)):
                                    m.d.sync += [lengths[h].eq(0), appended[h].eq(0),
                                                 write_slots[h].eq(0), overflows[h].eq(0)]
                            m.d.sync += [ack_op.eq(Op.CLEAR), ack_flag.eq(0),
                                         ack_position.eq(0)]
                            m.next = "ACK"
                        with m.Case(Op.SCORE):
                            m.next = "SETUP"
                        with m.Case(Op.VALUE):
                            m.next = "DRAIN"

            # -- append --
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
                refused = ~head_ok
                if not wraps:
                    refused |= of_head(lengths) == max_tokens
                m.d.sync += [ack_op.eq(Op.APPEND), ack_flag.eq(refused),
                             ack_position.eq(of_head(appended)),
                             append_row.eq(multiply_by_constant(head, max_tokens) +
                                           of_head(write_slots))]
                with m.If(refused):
                    for_head(lambda h: overflows[h].eq(1))
                    m.next = "ACK"
                # the code memory has one port: a read that a stalled `result` holds in
                # stage 1 goes first (it only waits there under back-pressure)
                with m.Elif(~items[1].valid):
                    m.d.comb += quantizer.run.eq(1)
                    m.next = "QUANTIZE"
            with m.State("QUANTIZE"):
                m.d.sync += [code_write_address.eq(append_base + quantizer.word_chunk +
                                                   Mux(quantizer.word_kind, chunks, 0)),
                             code_write.en.eq(quantizer.word_valid),
                             code_write.data.eq(quantizer.word)]
                with m.If(quantizer.done):
                    m.next = "SCALE_K"
            with m.State("SCALE_K"):
                m.d.comb += [scale_write.en.eq(1), scale_write.addr.eq(Cat(0, append_row)),
                             scale_write.data.eq(quantizer.scale_k)]
                m.next = "SCALE_V"
            with m.State("SCALE_V"):
                m.d.comb += [scale_write.en.eq(1), scale_write.addr.eq(Cat(1, append_row)),
                             scale_write.data.eq(quantizer.scale_v)]
                def appended_one(h):
                    full = lengths[h] == max_tokens
                    # a full head evicts the slot's token: overflow
                    return [overflows[h].eq(overflows[h] | full),
                            lengths[h].eq(Mux(full, lengths[h], lengths[h] + 1)),
                            appended[h].eq(appended[h] + 1),
                            write_slots[h].eq(Mux(write_slots[h] == last_slot,
                                                  config.ring_base, write_slots[h] + 1))]
                for_head(appended_one)
                m.next = "ACK"
            with m.State("ACK"):
                m.d.comb += [issued.valid.eq(1), issued.op.eq(ack_op), issued.flag.eq(ack_flag),
                             issued.position.eq(ack_position), issued.null.eq(1),
                             issued.token_first.eq(1), issued.token_end.eq(1),
                             issued.last.eq(1)]
                with m.If(advance):
                    m.next = "IDLE"

            # -- reads: the walk's parameters, three registered steps --
            with m.State("DRAIN"):
                # a value job answers earlier in the pipeline than a score: let the
                # items ahead leave first, so answers keep their order
                in_flight = 0
                for stage in items[1:]:
                    in_flight = in_flight | stage.valid
                with m.If(~in_flight):
                    m.next = "SETUP"
            with m.State("SETUP"):
                length = of_head(lengths)
                m.d.sync += [held.eq(length), head_row.eq(multiply_by_constant(head, max_tokens))]
                if sinks:
                    m.d.sync += sinks_held.eq(Mux(length < sinks, length, sinks))
                else:
                    m.d.sync += sinks_held.eq(0)
                if wraps:
                    m.d.sync += ring_slot.eq(Mux(length == max_tokens, of_head(write_slots),
                                                 config.ring_base))
                else:
                    m.d.sync += ring_slot.eq(0)
                m.next = "SETUP_ROWS"
            with m.State("SETUP_ROWS"):
                m.d.sync += [ring_count.eq(held - sinks_held),
                             start_slot.eq(Mux(sinks_held != 0, 0, ring_slot)),
                             start_row.eq(head_row + Mux(sinks_held != 0, 0, ring_slot)),
                             ring_row.eq(head_row + ring_slot),
                             wrap_row.eq(head_row + config.ring_base)]
                m.next = "SETUP_POSITIONS"
            with m.State("SETUP_POSITIONS"):
                next_position = of_head(appended)
                m.d.sync += [ring_position.eq(next_position - ring_count),
                             first_position.eq(Mux(sinks_held != 0, 0,
                                                   next_position - ring_count))]
                m.next = "SETUP_BASES"
            with m.State("SETUP_BASES"):
                # the addresses were computed from the rows in the cycle before
                m.d.sync += value_pass.eq(0)
                with m.If(op == Op.SCORE):
                    with m.If(queries.full.bit_select(q_slot, 1)):
                        m.d.sync += load_walk(held)
                        m.next = "SCORE"
                with m.Else():
                    m.d.sync += load_walk(held)
                    m.next = "VALUE_FIRST"

            with m.State("SCORE"):
                null = held == 0
                token_end = (chunk == chunks - 1) | null
                final = token_end & (tokens_left <= 1)
                m.d.comb += [issued.valid.eq(1), issued.op.eq(Op.SCORE), issued.flag.eq(null),
                             issued.null.eq(null), issued.position.eq(Mux(null, 0, position)),
                             issued.token_first.eq(chunk == 0), issued.token_end.eq(token_end),
                             issued.last.eq(final),
                             issued.q_zero.eq(chunk > queries.chunks_last[q_slot]),
                             read_code.eq(base + chunk), read_scale.eq(Cat(0, row))]
                with m.If(advance):
                    m.d.sync += [read_query.eq(1), query_chunk.eq(chunk), query_slot.eq(q_slot),
                                 release_query.eq(final)]
                with m.If(advance):
                    with m.If(token_end):
                        m.d.sync += chunk.eq(0)
                        step_walk()
                    with m.Else():
                        m.d.sync += chunk.eq(chunk + 1)
                    with m.If(final):
                        m.d.sync += q_slot.eq(~q_slot)
                        m.next = "IDLE"

            # -- weighted values: pass 0 takes p_t from the beats, the others from memory --
            value_item = [issued.op.eq(Op.VALUE), read_code.eq(base + chunks + value_pass),
                          read_scale.eq(Cat(1, row)),
                          issued.position.eq(value_pass * lanes),
                          issued.final_chunk.eq(value_pass == chunks - 1),
                          issued.pass_first.eq(index == 0), issued.token_first.eq(1),
                          issued.token_end.eq(1)]
            with m.State("VALUE_FIRST"):
                m.d.comb += self.command.ready.eq(advance)
                m.d.comb += value_item
                null = held == 0
                pass_end = command.last | (tokens_left <= 1)
                with m.If(self.command.valid & advance):
                    m.d.comb += [issued.valid.eq(~null | command.last), issued.null.eq(null),
                                 issued.p_direct.eq(1), issued.p.eq(command.p),
                                 issued.pass_end.eq(pass_end),
                                 issued.last.eq(pass_end & int(chunks == 1)),
                                 weight_write.en.eq(~null), weight_write.addr.eq(index),
                                 weight_write.data.eq(command.p)]
                    with m.If(~null):
                        step_walk()
                    with m.If(pass_end & (~null | command.last)):
                        count = Mux(null, 0, index + 1)
                        m.d.sync += [taken.eq(count), value_pass.eq(1), *load_walk(count)]
                        with m.If(command.last):
                            m.next = "IDLE" if chunks == 1 else "VALUE_PASS"
                        with m.Else():
                            m.next = "VALUE_SKIP"
            with m.State("VALUE_SKIP"):
                m.d.comb += self.command.ready.eq(1)
                with m.If(self.command.valid & command.last):
                    m.next = "IDLE" if chunks == 1 else "VALUE_PASS"
            with m.State("VALUE_PASS"):
                null = taken == 0
                pass_end = tokens_left <= 1
                final = value_pass == chunks - 1
                m.d.comb += value_item
                m.d.comb += [issued.valid.eq(1), issued.null.eq(null),
                             issued.pass_end.eq(pass_end), issued.last.eq(pass_end & final),
                             read_weight.eq(index)]
                with m.If(advance):
                    with m.If(pass_end):
                        m.d.sync += [value_pass.eq(value_pass + 1), *load_walk(taken)]
                        with m.If(final):
                            m.next = "IDLE"
                    with m.Else():
                        step_walk()

        # --- stage 2 -> 3: the words read, registered (block RAM outputs are slow) -------
        at2, at4, at5 = items[2], items[4], items[5]
        operand_shape = signed(OPERAND_BITS)
        code_words = data.ArrayLayout(signed(config.kv_bits), lanes)
        operands = data.ArrayLayout(operand_shape, lanes)
        codes3 = data_register(code_words, "codes3")
        queries3 = data_register(operands, "queries3")
        scale3 = data_register(unsigned(config.scale_bits), "scale3")
        p3 = data_register(unsigned(WEIGHT_BITS), "p3")
        with m.If(advance):
            # null items (acks, empty heads) may point at words never written: zeros,
            # so that no undefined bit reaches an answer
            m.d.sync += [codes3.eq(Mux(at2.null, 0, code_read.data)),
                         scale3.eq(Mux(at2.null, 0, scale_read.data)),
                         p3.eq(Mux(at2.p_direct, at2.p, weight_read.data))]
            for j in range(lanes):
                m.d.sync += queries3[j].eq(Mux(at2.null | at2.q_zero, 0, queries.data[j]))

        # --- stage 3 -> 4: w_t = p_t·a_t, rounded to the lanes' operand width ---------------
        weight4 = data_register(operand_shape, "weight4")
        with m.If(advance):
            m.d.sync += weight4.eq(round_shift(p3 * scale3, config.weight_shift))
            codes4 = delay(m, codes3, 1, name="codes4")
            queries4 = delay(m, queries3, 1, name="queries4")

        # --- stage 4 -> 5: a product per lane ----------------------------------------------
        products = [data_register(signed(OPERAND_BITS + config.kv_bits), f"product{j}")
                    for j in range(lanes)]
        with m.If(advance):
            for j in range(lanes):
                operand = Mux(at4.op == Op.VALUE, weight4, queries4[j])
                m.d.sync += products[j].eq(codes4[j] * operand)

        # --- weighted values: a sum per lane over the pass's tokens --------------------------
        sums = [data_register(signed(config.result_bits), f"value_sum{j}") for j in range(lanes)]
        with m.If(advance & at5.valid & (at5.op == Op.VALUE)):
            for j in range(lanes):
                m.d.sync += sums[j].eq(Mux(at5.pass_first, 0, sums[j]) + products[j])

        # --- scores: the lanes' tree, the sum over chunks, times the token's scale -----------
        with m.If(advance):
            chunk_sum, _, _ = adder_tree(m, [(p, 1, []) for p in products],
                                         OPERAND_BITS + config.kv_bits, "score_tree")
        at_sum = items[5 + config.tree_stages]
        dot = data_register(signed(config.dot_bits), "dot")
        with m.If(advance & at_sum.valid):
            m.d.sync += dot.eq(Mux(at_sum.token_first, 0, dot) + chunk_sum)
        with m.If(advance):
            scale_at_dot = delay(m, scale3, 3 + config.tree_stages, name="score_scale")
        score = data_register(signed(config.result_bits), "score")
        with m.If(advance):
            m.d.sync += score.eq(dot * scale_at_dot)

        # --- answers: a beat per score or ack, lanes beats per value pass ---------------------
        remaining = Signal(range(lanes + 1))
        out_values = [data_register(signed(config.result_bits), f"out_value{j}")
                      for j in range(lanes)]
        out = Signal(item_layout, name="out")
        at_value, at_score = items[value_stage], items[score_stage]
        emit_values = at_value.valid & (at_value.op == Op.VALUE) & at_value.pass_end
        emit_scalar = at_score.valid & (at_score.op != Op.VALUE) & at_score.token_end
        transfer = self.result.valid & self.result.ready
        can_take = (remaining == 0) | ((remaining == 1) & self.result.ready)
        m.d.comb += advance.eq(~((emit_values | emit_scalar) & ~can_take))
        m.d.comb += [self.result.valid.eq(remaining != 0),
                     self.result.payload.op.eq(out.op), self.result.payload.flag.eq(out.flag),
                     self.result.payload.position.eq(out.position),
                     self.result.payload.value.eq(out_values[0]),
                     self.result.payload.last.eq(out.last & (remaining == 1))]
        with m.If(transfer):
            m.d.sync += [remaining.eq(remaining - 1), out.position.eq(out.position + 1)]
            m.d.sync += [out_values[j].eq(out_values[j + 1]) for j in range(lanes - 1)]
        short = config.head_dim - (chunks - 1) * lanes
        with m.If(advance & emit_values):
            m.d.sync += [out.eq(at_value), remaining.eq(Mux(at_value.final_chunk, short, lanes))]
            m.d.sync += [out_values[j].eq(sums[j]) for j in range(lanes)]
        with m.If(advance & emit_scalar):
            m.d.sync += [out.eq(at_score), remaining.eq(1), out_values[0].eq(score)]
        return m


def kv_buffer(config: KVBufferConfig) -> KVBuffer:
    return KVBuffer(config)
