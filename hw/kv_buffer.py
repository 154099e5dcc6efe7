"""On-chip KV cache for LLM decoding: quantized K/V per head and token in block RAM
(or SPRAM), eviction by policy, and the score and weighted-value read engines."""

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory as MemoryBlock
from amaranth.lib.wiring import Out

from accelgen.kv_config import WEIGHT_BITS, KVBufferConfig, Memory
from accelgen.netlist import uninitialized

from .kv_answers import AnswerSerializer
from .kv_append import AppendEngine
from .kv_heads import HeadTable
from .kv_issue import ReadIssuer
from .kv_layouts import (Op, input_layouts, output_layouts, query_layout, read_item_layout,
                         status_layout)
from .kv_read_path import ReadPath
from .kv_walk import TokenWalker
from .pipeline import taps
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
        command = self.command.payload

        # --- storage -----------------------------------------------------------------
        style = "huge" if config.memory is Memory.SPRAM else "block"
        # every word is written before it is read: no initial contents (SPRAM has none)
        m.submodules.codes = codes = MemoryBlock(shape=unsigned(config.word_bits),
                                                 depth=config.code_depth, init=[],
                                                 attrs=uninitialized({"ram_style": style}))
        code_write, code_read = codes.write_port(), codes.read_port()
        m.submodules.scales = scales = MemoryBlock(shape=unsigned(config.scale_bits),
                                                   depth=2 * config.rows, init=[],
                                                   attrs={"ram_style": "block"})
        scale_write, scale_read = scales.write_port(), scales.read_port()
        m.submodules.weights = weights = MemoryBlock(shape=unsigned(WEIGHT_BITS),
                                                     depth=config.max_tokens, init=[],
                                                     attrs={"ram_style": "block"})
        weight_write, weight_read = weights.write_port(), weights.read_port()
        m.submodules.queries = queries = VectorBuffer(query_layout(config), config.chunks)
        wiring.connect(m, wiring.flipped(self.query), queries.vector)

        # --- the parts ---------------------------------------------------------------------
        head, op = Signal(config.head_bits), Signal(2)        # of the command running
        m.submodules.heads = heads = HeadTable(config)
        m.submodules.walker = walker = TokenWalker(config)
        m.submodules.appender = appender = AppendEngine(config)
        m.submodules.issuer = issuer = ReadIssuer(config)
        m.submodules.read_path = read_path = ReadPath(config)
        m.submodules.answers = answers = AnswerSerializer(config)
        wiring.connect(m, wiring.flipped(self.append), appender.append)
        wiring.connect(m, answers.result, wiring.flipped(self.result))
        m.d.comb += self.status.eq(heads.status)
        for part in (heads, walker, appender):
            m.d.comb += part.head.eq(head)
        for part in (walker, appender):
            m.d.comb += [part.length.eq(heads.length), part.write_slot.eq(heads.write_slot)]
        m.d.comb += [walker.appended.eq(heads.appended),
                     heads.refuse.eq(appender.refuse), heads.commit.eq(appender.commit),
                     walker.load.eq(issuer.walk_load), walker.count.eq(issuer.walk_count),
                     walker.step.eq(issuer.walk_step), issuer.op.eq(op)]
        for name in ("held", "tokens_left", "index", "position", "row", "base"):
            m.d.comb += getattr(issuer, name).eq(getattr(walker, name))

        # --- the read pipeline: one item per cycle, all stages move on `advance` ------
        issued = Signal(read_item_layout(), name="issued")
        advance = Signal()
        m.d.comb += [issued.eq(issuer.issued), advance.eq(answers.advance),
                     issuer.advance.eq(advance)]
        with m.If(advance):
            items = taps(m, issued, config.read_stages, name="item")
        # One address for code reads and writes, and no read while writing: a single-port
        # RAM whose output holds during writes, as SPRAM's does. Addresses, write data and
        # enables come from registers: the UP5K's four SPRAM blocks sit in its corners.
        # Stage 1 holds the issued item's read addresses, stage 2 the words read.
        code_address = Signal(range(config.code_depth))
        scale_address = Signal(range(2 * config.rows))
        weight_address = Signal(range(config.max_tokens))
        with m.If(advance):
            m.d.sync += [code_address.eq(issuer.read_code), scale_address.eq(issuer.read_scale),
                         weight_address.eq(issuer.read_weight)]
        m.d.comb += [
            code_write.en.eq(appender.code_write_en), code_write.data.eq(appender.code_write_data),
            code_write.addr.eq(Mux(code_write.en, appender.code_write_address, code_address)),
            code_read.addr.eq(code_write.addr), code_read.en.eq(advance & ~code_write.en),
            scale_write.en.eq(appender.scale_write_en),
            scale_write.addr.eq(appender.scale_write_address),
            scale_write.data.eq(appender.scale_write_data),
            scale_read.addr.eq(scale_address), scale_read.en.eq(advance),
            weight_write.en.eq(issuer.weight_write_en),
            weight_write.addr.eq(issuer.weight_write_address),
            weight_write.data.eq(issuer.weight_write_data),
            weight_read.addr.eq(weight_address), weight_read.en.eq(advance),
            issuer.queries_full.eq(queries.full),
            issuer.queries_chunks_last.eq(queries.chunks_last),
            queries.read_en.eq(advance & issuer.query_read),
            queries.read_chunk.eq(issuer.query_chunk), queries.read_slot.eq(issuer.query_slot),
            queries.release.eq(advance & issuer.query_release),
            queries.release_slot.eq(issuer.query_slot),
            issuer.command_valid.eq(self.command.valid), issuer.command_last.eq(command.last),
            issuer.command_p.eq(command.p),
            # the code memory has one port: a read that a stalled `result` holds in stage
            # 1 goes before an append's writes (it only waits there under back-pressure)
            appender.read_waiting.eq(items[1].valid),
        ]

        # --- commands run one after another --------------------------------------------------
        ack = Signal(read_item_layout(), name="ack")          # the answer of an append or clear
        with m.FSM(init="IDLE"):
            with m.State("IDLE"):
                m.d.comb += self.command.ready.eq(command.op != Op.VALUE)
                with m.If(self.command.valid):
                    m.d.sync += [head.eq(command.head), op.eq(command.op)]
                    with m.Switch(command.op):
                        with m.Case(Op.APPEND):
                            m.d.comb += appender.start.eq(1)
                            m.next = "APPEND"
                        with m.Case(Op.CLEAR):
                            m.d.comb += [heads.clear.eq(1), heads.clear_head.eq(command.head),
                                         heads.clear_all.eq(command.all)]
                            m.d.sync += [ack.op.eq(Op.CLEAR), ack.flag.eq(0), ack.position.eq(0)]
                            m.next = "ACK"
                        with m.Case(Op.SCORE):
                            m.next = "SETUP"
                        with m.Case(Op.VALUE):
                            m.next = "DRAIN"
            with m.State("APPEND"):
                with m.If(appender.done):
                    m.d.sync += [ack.op.eq(Op.APPEND), ack.flag.eq(appender.refused),
                                 ack.position.eq(heads.appended)]
                    m.next = "ACK"
            with m.State("ACK"):
                m.d.comb += [issued.valid.eq(1), issued.op.eq(ack.op), issued.flag.eq(ack.flag),
                             issued.position.eq(ack.position), issued.null.eq(1),
                             issued.token_first.eq(1), issued.token_end.eq(1),
                             issued.last.eq(1)]
                with m.If(advance):
                    m.next = "IDLE"
            with m.State("DRAIN"):
                # a value job answers earlier in the pipeline than a score: let the items
                # ahead leave first, so answers keep their order
                in_flight = 0
                for stage in items[1:]:
                    in_flight = in_flight | stage.valid
                with m.If(~in_flight):
                    m.next = "SETUP"
            # the walk's parameters, three registered steps, then the issuer runs the job
            with m.State("SETUP"):
                m.d.comb += walker.setup_head.eq(1)
                m.next = "SETUP_ROWS"
            with m.State("SETUP_ROWS"):
                m.d.comb += walker.setup_rows.eq(1)
                m.next = "SETUP_POSITIONS"
            with m.State("SETUP_POSITIONS"):
                m.d.comb += [walker.setup_positions.eq(1), issuer.start.eq(1)]
                m.next = "READ"
            with m.State("READ"):
                m.d.comb += self.command.ready.eq(issuer.command_ready)
                with m.If(issuer.done):
                    m.next = "IDLE"

        # --- stages 2 on: products, sums and scores; then the answers ---------------------
        m.d.comb += [read_path.advance.eq(advance), read_path.at2.eq(items[2]),
                     read_path.at4.eq(items[4]), read_path.at5.eq(items[5]),
                     read_path.at_sum.eq(items[5 + config.tree_stages]),
                     read_path.code.eq(code_read.data), read_path.scale.eq(scale_read.data),
                     read_path.weight.eq(weight_read.data), read_path.query.eq(queries.data),
                     answers.at_value.eq(items[config.value_stage]),
                     answers.at_score.eq(items[config.read_stages]),
                     answers.sums.eq(read_path.sums), answers.score.eq(read_path.score)]
        return m


def kv_buffer(config: KVBufferConfig) -> KVBuffer:
    return KVBuffer(config)
