"""MatMul-free ternary matrix-vector unit: packed ternary weights in block RAM, adder
trees instead of multipliers, the BitLinear rescale and (optionally) the MLGRU cell."""

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory

from accelgen.formats.ternary_codes import base3_byte
from accelgen.numbers import index_range
from accelgen.ternary_config import SCALE_BITS, Packing, TernaryConfig

from .arithmetic import ceil_divide, multiply_by_constant
from .bitlinear_rescale import BitLinearRescale
from .credit_fifo import result_fifo
from .mlgru_cell import MLGRUCell
from .pipeline import data_register, taps
from .streams import stream_signature
from .ternary_dot import TernaryDotProducts
from .ternary_layouts import input_layouts, output_layouts, result_layout


def _clamp(field, top: int):
    """A header field into 1..top (no comparison where the field cannot exceed top)."""
    at_least_one = Mux(field == 0, 1, field)
    if (1 << len(field)) - 1 <= top:
        return at_least_one
    return Mux(field > top, top, at_least_one)


def _base3_table() -> list[int]:
    """Byte → its five weights in the two-bit form (bit 2j: non-zero, 2j+1: negative)."""
    table = []
    for code in range(256):
        bits = 0
        for place, trit in enumerate(base3_byte(code)):
            bits |= (trit != 0) << (2 * place) | (trit < 0) << (2 * place + 1)
        table.append(bits)
    return table


def _pick(select, values: list):
    """values[select] for one or two banks (a Mux: see weight_stationary.py on Array)."""
    if len(values) == 1:
        return values[0]
    if isinstance(values[0], data.View):
        return data.View(values[0].shape(), Mux(select, values[1].as_value(),
                                                values[0].as_value()))
    return Mux(select, values[1], values[0])


class TernaryUnit(wiring.Component):
    """y = T·x with ternary T held on chip, for a stream of vectors: decode-style GEMV.

    A job is one weight load on ``weights`` (the packed words of T in address order, row
    block then column chunk; the first beat gives rows, cols and the weight scale;
    ``last`` ends it) followed by vectors on ``activations`` (ceil(cols/lanes_in) beats
    each, ``last`` on the final beat; the first beat gives the activation scale, and
    ``final`` says the job ends with this vector). Each vector gives ceil(rows/lanes_out)
    ``result`` beats, ``last`` on the final one; with the MLGRU cell, rows is the hidden
    size and each beat is o for one hidden block. With ``double_buffer`` the next load
    fills the other weight bank while the current job computes.

    Parameters
    ----------
    config : TernaryConfig
    """

    def __init__(self, config: TernaryConfig):
        self._config = config
        super().__init__(stream_signature(input_layouts(config), output_layouts(config)))

    def elaborate(self, platform):
        config = self._config
        m = Module()
        li, lo, banks = config.lanes_in, config.lanes_out, config.banks
        bank_words, max_chunks = config.bank_words, config.max_chunks

        fifo = result_fifo(m, self.result, result_layout(config),
                           depth=config.result_fifo_depth, max_reserve=1)

        # --- weight memory: packed words, one bank per job in flight ------------------
        m.submodules.weight_memory = weight_memory = Memory(
            shape=unsigned(config.word_bits), depth=banks * bank_words, init=[])
        weight_write, weight_read = weight_memory.write_port(), weight_memory.read_port()

        # per bank: the shape of its matrix, as the engine's counters need it
        bank_layout = data.StructLayout({
            "chunks_last": index_range(max_chunks),
            "blocks_last": index_range(config.max_hidden_blocks),
            "one_chunk": 1, "one_block": 1,
            "cols_in_last_chunk": range(li + 1), "rows_in_last_block": range(lo + 1),
            "scale": unsigned(SCALE_BITS)})
        bank = [Signal(bank_layout, name=f"bank{index}") for index in range(banks)]
        weights_full = [Signal(name=f"weights_full{index}") for index in range(banks)]

        # A bank is `taken` from its last word's transfer until the engine is done with
        # it, so ready is one register picked by the bank being loaded.
        taken = [Signal(name=f"taken{index}") for index in range(banks)]
        load_bank = Signal(index_range(banks))
        load_address = Signal(index_range(bank_words))
        room = Signal(init=1)       # load_address has not passed the bank's last word
        in_load = Signal()
        beat = self.weights.payload
        loading = self.weights.valid & self.weights.ready
        m.d.comb += self.weights.ready.eq(~_pick(load_bank, taken))
        with m.If(loading):
            m.d.sync += in_load.eq(~beat.last)
            with m.If(room):
                m.d.sync += [load_address.eq(load_address + 1),
                             room.eq(load_address != bank_words - 1)]
            with m.If(beat.last):
                m.d.sync += [load_address.eq(0), room.eq(1)]
                if banks == 2:
                    m.d.sync += load_bank.eq(~load_bank)
            for index in range(banks):
                with m.If(beat.last & (load_bank == index)):
                    m.d.sync += taken[index].eq(1)
        # The word is written one cycle later, from registers.
        write = Signal(data.StructLayout({"valid": 1, "last": 1, "bank": index_range(banks),
                                          "address": index_range(banks * bank_words)}))
        write_data = data_register(unsigned(config.word_bits), "write_data")
        m.d.sync += [write.valid.eq(loading & room),
                     write.last.eq(loading & beat.last), write.bank.eq(load_bank),
                     write.address.eq(load_address + Mux(load_bank, bank_words, 0)),
                     write_data.eq(beat.data)]
        m.d.comb += [weight_write.en.eq(write.valid), weight_write.addr.eq(write.address),
                     weight_write.data.eq(write_data)]
        # A bank turns full four cycles after its last word is written: its header's
        # fields (four cycles after its first word) and the engine's flags (one more)
        # are ready by then, even for a one-word load.
        loaded = taps(m, Signal(data.StructLayout({"valid": 1, "bank": index_range(banks)})), 4,
                      name="loaded")
        m.d.comb += [loaded[0].valid.eq(write.last), loaded[0].bank.eq(write.bank)]
        loaded = loaded[-1]

        # The header (first beat) is clamped and divided into chunks and blocks over the
        # next cycles, before the engine may use the bank (see `loaded`).
        header = Signal(data.StructLayout({"valid": 1, "bank": index_range(banks),
                                           "rows": beat.rows.shape(), "cols": beat.cols.shape(),
                                           "scale": unsigned(SCALE_BITS)}))
        m.d.sync += [header.valid.eq(loading & ~in_load), header.bank.eq(load_bank),
                     header.rows.eq(beat.rows), header.cols.eq(beat.cols),
                     header.scale.eq(beat.scale)]
        # three register stages: clamp, divide, then the bank's fields
        shape = data.StructLayout({"valid": 1, "bank": index_range(banks),
                                   "rows": range(config.max_rows + 1),
                                   "cols": range(config.max_cols + 1),
                                   "chunks": range(max_chunks + 1),
                                   "blocks": range(config.max_hidden_blocks + 1),
                                   "scale": unsigned(SCALE_BITS)})
        clamped, divided = Signal(shape, name="clamped"), Signal(shape, name="divided")
        m.d.sync += [
            clamped.valid.eq(header.valid), clamped.bank.eq(header.bank),
            clamped.scale.eq(header.scale),
            clamped.rows.eq(_clamp(header.rows, config.max_rows)),
            clamped.cols.eq(_clamp(header.cols, config.max_cols)),
            divided.eq(clamped),
            divided.chunks.eq(ceil_divide(clamped.cols, li, config.max_cols)),
            divided.blocks.eq(ceil_divide(clamped.rows, lo, config.max_rows)),
        ]
        for index in range(banks):
            with m.If(divided.valid & (divided.bank == index)):
                m.d.sync += [
                    bank[index].chunks_last.eq(divided.chunks - 1),
                    bank[index].blocks_last.eq(divided.blocks - 1),
                    bank[index].one_chunk.eq(divided.chunks == 1),
                    bank[index].one_block.eq(divided.blocks == 1),
                    bank[index].cols_in_last_chunk.eq(
                        divided.cols + li - multiply_by_constant(divided.chunks, li)),
                    bank[index].rows_in_last_block.eq(
                        divided.rows + lo - multiply_by_constant(divided.blocks, lo)),
                    bank[index].scale.eq(divided.scale),
                ]

        # --- activation buffer: two vectors, one filling while the other is used ------
        # block RAM even when shallow: as LUT RAM it would cost more LUTs than a lane
        m.submodules.activation_buffer = activation_buffer = Memory(
            shape=unsigned(li * config.activation_bits), depth=2 * max_chunks, init=[],
            attrs={"ram_style": "block"})
        activation_write = activation_buffer.write_port()
        activation_read = activation_buffer.read_port()
        vector_layout = data.StructLayout({"scale": unsigned(SCALE_BITS), "start": 1,
                                           "final": 1})
        vector = [Signal(vector_layout, name=f"vector{index}") for index in range(2)]
        vector_full = [Signal(name=f"vector_full{index}") for index in range(2)]
        fill_slot = Signal()
        fill_address = Signal(range(max_chunks + 1))
        in_vector = Signal()
        chunk = self.activations.payload
        filling = self.activations.valid & self.activations.ready
        m.d.comb += [
            self.activations.ready.eq(~_pick(fill_slot, vector_full)),
            activation_write.en.eq(filling & (fill_address != max_chunks)),
            activation_write.addr.eq(fill_address + Mux(fill_slot, max_chunks, 0)),
            activation_write.data.eq(chunk.x),
        ]
        with m.If(filling):
            m.d.sync += in_vector.eq(~chunk.last)
            with m.If(fill_address != max_chunks):
                m.d.sync += fill_address.eq(fill_address + 1)
            for index in range(2):
                with m.If(~in_vector & (fill_slot == index)):
                    m.d.sync += [vector[index].scale.eq(chunk.scale),
                                 vector[index].start.eq(chunk.start),
                                 vector[index].final.eq(chunk.final)]
                with m.If(chunk.last & (fill_slot == index)):
                    m.d.sync += vector_full[index].eq(1)
            with m.If(chunk.last):
                m.d.sync += [fill_address.eq(0), fill_slot.eq(~fill_slot)]

        # --- the engine: one weight word and one activation chunk per cycle ------------
        compute_bank = Signal(index_range(banks))
        use_slot = Signal()
        active = _pick(compute_bank, bank)
        current = _pick(use_slot, vector)
        chunk_index = Signal(index_range(max_chunks))
        phase = Signal(index_range(config.projections))
        block = Signal(index_range(config.max_hidden_blocks))

        issue = Signal()
        m.d.comb += issue.eq(_pick(compute_bank, weights_full) & _pick(use_slot, vector_full) &
                             fifo.can_reserve)
        # "at its last value" flags are registers, computed from the counters' next
        # values against the next bank's shape: nothing compares counters behind issue.
        chunk_last, block_last = Signal(init=1), Signal(init=1)
        phase_last = phase == config.projections - 1
        vector_end = chunk_last & phase_last & block_last
        m.d.comb += fifo.reserve.eq(issue & chunk_last & phase_last)
        next_slot = use_slot ^ (issue & vector_end)
        next_bank = (compute_bank ^ (issue & vector_end & current.final)
                     if banks == 2 else compute_bank)
        # Each counter either stays, steps or wraps to 0; the three compares come from
        # registers, in parallel, and the handshake only picks one.
        step_chunk = issue
        step_block = issue & chunk_last & phase_last
        next_shape = _pick(next_bank, bank)
        next_chunk = Mux(step_chunk, Mux(chunk_last, 0, chunk_index + 1), chunk_index)
        next_phase = Mux(issue & chunk_last, Mux(phase_last, 0, phase + 1), phase)
        next_block = Mux(step_block, Mux(block_last, 0, block + 1), block)
        m.d.sync += [
            chunk_index.eq(next_chunk), phase.eq(next_phase), block.eq(next_block),
            use_slot.eq(next_slot), compute_bank.eq(next_bank),
            chunk_last.eq(Mux(step_chunk, Mux(chunk_last, next_shape.one_chunk,
                                              chunk_index + 1 == active.chunks_last),
                              chunk_index == active.chunks_last)),
            block_last.eq(Mux(step_block, Mux(block_last, next_shape.one_block,
                                              block + 1 == active.blocks_last),
                              block == active.blocks_last)),
        ]
        # memory addresses, bank and slot offsets included, are registers too
        weight_address = Signal(index_range(banks * bank_words))
        activation_address = Signal(range(2 * max_chunks))
        with m.If(issue):
            m.d.sync += [weight_address.eq(weight_address + 1),
                         activation_address.eq(activation_address + 1)]
            with m.If(chunk_last):
                m.d.sync += activation_address.eq(Mux(next_slot, max_chunks, 0))
            with m.If(vector_end):
                m.d.sync += weight_address.eq(Mux(next_bank, bank_words, 0))
        for index in range(2):
            with m.If(issue & vector_end & (use_slot == index)):
                m.d.sync += vector_full[index].eq(0)
        for index in range(banks):
            with m.If(issue & vector_end & current.final & (compute_bank == index)):
                m.d.sync += [weights_full[index].eq(0), taken[index].eq(0)]
            with m.If(loaded.valid & (loaded.bank == index)):
                m.d.sync += weights_full[index].eq(1)
        m.d.comb += [weight_read.addr.eq(weight_address),
                     activation_read.addr.eq(activation_address)]

        # What travels beside the data, one register per pipeline stage.
        flags = Signal(data.StructLayout({
            "valid": 1, "result": 1, "last": 1, "phase": range(3),
            "block": index_range(config.max_hidden_blocks), "start": 1,
            "cols_valid": range(li + 1), "rows_valid": range(lo + 1),
            "weight_scale": unsigned(SCALE_BITS), "activation_scale": unsigned(SCALE_BITS)}))
        m.d.comb += [
            flags.valid.eq(issue),
            flags.result.eq(chunk_last), flags.last.eq(vector_end), flags.phase.eq(phase),
            flags.block.eq(block), flags.start.eq(current.start),
            flags.cols_valid.eq(Mux(chunk_last, active.cols_in_last_chunk, li)),
            flags.rows_valid.eq(Mux(block_last, active.rows_in_last_block, lo)),
            flags.weight_scale.eq(active.scale), flags.activation_scale.eq(current.scale),
        ]
        tree = config.tree_stages
        accumulate_stage = 2 + tree
        done_stage = accumulate_stage + config.rescale_stages
        stage = taps(m, flags, done_stage, name="flags")

        # Stage 1: the read word is unpacked to two bits per weight, and activation
        # lanes past the matrix's columns are zeroed; stage 2 holds both.
        word = weight_read.data
        if config.packing is Packing.BASE3:
            pieces = []
            for byte in range(config.base3_bytes):
                rom = Memory(shape=unsigned(10), depth=256, init=_base3_table())
                m.submodules[f"base3_{byte}"] = rom
                port = rom.read_port(domain="comb")
                m.d.comb += port.addr.eq(word[8 * byte:8 * byte + 8])
                pieces.append(port.data)
            word = Cat(*pieces)[:2 * config.weights_per_word]
        m.submodules.dot = dot = TernaryDotProducts(config)
        weights = data_register(unsigned(2 * config.weights_per_word), "trits")
        x_in = data.View(dot.x.shape(), activation_read.data)
        x = Signal(dot.x.shape(), name="x", reset_less=True)
        m.d.sync += weights.eq(word)
        for lane in range(li):
            m.d.sync += x[lane].eq(Mux(lane < stage[1].cols_valid, x_in[lane], 0))
        m.d.comb += [dot.nonzero.eq(Cat(*(weights[2 * k] for k in range(config.weights_per_word)))),
                     dot.negative.eq(Cat(*(weights[2 * k + 1]
                                           for k in range(config.weights_per_word)))),
                     dot.x.eq(x)]

        # Accumulate chunk sums into row sums (adds only; the tree's left-over +1 is the
        # carry-in). A row's sum goes to the rescale as it completes, and the register
        # is cleared then (its flip-flops' synchronous reset), so the next row block
        # starts from 0 without a multiplexer in front of the adder.
        m.submodules.rescale = rescale = BitLinearRescale(config)
        at_sum = stage[accumulate_stage]
        for row in range(lo):
            total = data_register(rescale.sums[row].shape(), f"row_sum{row}")
            row_sum = total + dot.sums[row] + dot.carries[row]
            with m.If(at_sum.valid):
                m.d.sync += total.eq(Mux(at_sum.result, 0, row_sum))
            m.d.comb += rescale.sums[row].eq(row_sum)
        ahead = stage[accumulate_stage - 1]
        m.d.comb += [rescale.rows_valid.eq(at_sum.rows_valid),
                     rescale.weight_scale.eq(ahead.weight_scale),
                     rescale.activation_scale.eq(ahead.activation_scale)]

        done = stage[done_stage]
        if not config.mlgru:
            m.d.comb += [fifo.w_en.eq(done.valid & done.result),
                         fifo.w_data.y.eq(rescale.y), fifo.w_data.last.eq(done.last)]
            return m
        m.submodules.cell = cell = MLGRUCell(config)
        m.d.comb += [cell.valid.eq(done.valid & done.result), cell.phase.eq(done.phase),
                     cell.z.eq(rescale.y), cell.block.eq(done.block),
                     cell.start.eq(done.start), cell.last.eq(done.last),
                     cell.rows_valid.eq(done.rows_valid),
                     fifo.w_en.eq(cell.o_valid), fifo.w_data.y.eq(cell.o),
                     fifo.w_data.last.eq(cell.o_last)]
        return m


def ternary_unit(config: TernaryConfig) -> TernaryUnit:
    return TernaryUnit(config)
