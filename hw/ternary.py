"""MatMul-free ternary matrix-vector unit: packed ternary weights in block RAM, adder
trees instead of multipliers, the BitLinear rescale and (optionally) the MLGRU cell."""

from amaranth.hdl import Cat, Module, Mux, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory

from accelgen.formats.ternary_codes import base3_byte
from accelgen.numbers import index_range
from accelgen.ternary_config import SCALE_BITS, Packing, TernaryConfig

from .banks import BankFlags, pick
from .bitlinear_rescale import BitLinearRescale
from .credit_fifo import result_fifo
from .memory_attributes import READS_APART_FROM_WRITES
from .mlgru_cell import MLGRUCell
from .pipeline import data_register, delay, taps
from .streams import stream_signature
from .ternary_dot import TernaryDotProducts
from .ternary_layouts import activation_layout, input_layouts, output_layouts, result_layout
from .ternary_loader import WeightLoader
from .vector_buffer import VectorBuffer


def _base3_table() -> list[int]:
    """Byte → its five weights in the two-bit form (bit 2j: non-zero, 2j+1: negative)."""
    table = []
    for code in range(256):
        bits = 0
        for place, trit in enumerate(base3_byte(code)):
            bits |= (trit != 0) << (2 * place) | (trit < 0) << (2 * place + 1)
        table.append(bits)
    return table


def _two_bit_weights(m, config: TernaryConfig, word):
    """A weight word in the two-bit form: as it is, or decoded from base 3 by one
    256-entry table per byte."""
    if config.packing is not Packing.BASE3:
        return word
    pieces = []
    for byte in range(config.base3_bytes):
        rom = Memory(shape=unsigned(10), depth=256, init=_base3_table())
        m.submodules[f"base3_{byte}"] = rom
        port = rom.read_port(domain="comb")
        m.d.comb += port.addr.eq(word[8 * byte:8 * byte + 8])
        pieces.append(port.data)
    return Cat(*pieces)[:2 * config.weights_per_word]


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

        # --- weights: packed words in the bank of their job; vectors: two slots ----------
        m.submodules.weight_memory = weight_memory = Memory(
            shape=unsigned(config.word_bits), depth=banks * bank_words, init=[],
            attrs=READS_APART_FROM_WRITES)
        weight_write, weight_read = weight_memory.write_port(), weight_memory.read_port()
        m.submodules.loader = loader = WeightLoader(config)
        m.submodules.banks = bank_flags = BankFlags(banks)
        m.submodules.vectors = vectors = VectorBuffer(activation_layout(config), max_chunks)
        wiring.connect(m, wiring.flipped(self.weights), loader.weights)
        wiring.connect(m, wiring.flipped(self.activations), vectors.vector)
        m.d.comb += [weight_write.en.eq(loader.write_en),
                     weight_write.addr.eq(loader.write_address),
                     weight_write.data.eq(loader.write_data), loader.busy.eq(bank_flags.busy),
                     bank_flags.occupy.eq(loader.occupy),
                     bank_flags.occupy_bank.eq(loader.occupy_bank),
                     bank_flags.fill.eq(loader.loaded), bank_flags.fill_bank.eq(loader.loaded_bank)]
        shapes = [loader.shapes[index] for index in range(banks)]

        # --- the engine: one weight word and one activation chunk per cycle ------------
        compute_bank = Signal(index_range(banks))
        use_slot = Signal()
        active = pick(compute_bank, shapes)
        current = pick(use_slot, [vectors.header[0], vectors.header[1]])
        chunk_index = Signal(index_range(max_chunks))
        phase = Signal(index_range(config.projections))
        block = Signal(index_range(config.max_hidden_blocks))

        issue = Signal()
        m.d.comb += issue.eq(pick(compute_bank, [bank_flags.full[b] for b in range(banks)]) &
                             pick(use_slot, [vectors.full[0], vectors.full[1]]) &
                             fifo.can_reserve)
        # "at its last value" flags are registers, computed from the counters' next
        # values against the next bank's shape: nothing compares counters behind issue.
        chunk_last, block_last = Signal(init=1), Signal(init=1)
        phase_last = phase == config.projections - 1
        vector_end = chunk_last & phase_last & block_last
        job_end = issue & vector_end & current.final
        m.d.comb += fifo.reserve.eq(issue & chunk_last & phase_last)
        next_slot = use_slot ^ (issue & vector_end)
        next_bank = compute_bank ^ job_end if banks == 2 else compute_bank
        # Each counter either stays, steps or wraps to 0; the three compares come from
        # registers, in parallel, and the handshake only picks one.
        step_chunk = issue
        step_block = issue & chunk_last & phase_last
        next_shape = pick(next_bank, shapes)
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
        # the weight address, bank offset included, is a register too; the vector's is
        # its slot and chunk side by side
        weight_address = Signal(index_range(banks * bank_words))
        with m.If(issue):
            m.d.sync += weight_address.eq(weight_address + 1)
            with m.If(vector_end):
                m.d.sync += weight_address.eq(Mux(next_bank, bank_words, 0))
        m.d.comb += [weight_read.addr.eq(weight_address),
                     vectors.read_en.eq(1), vectors.read_slot.eq(use_slot),
                     vectors.read_chunk.eq(chunk_index),
                     vectors.release.eq(issue & vector_end), vectors.release_slot.eq(use_slot),
                     bank_flags.empty.eq(job_end), bank_flags.empty_bank.eq(compute_bank),
                     bank_flags.free.eq(job_end), bank_flags.free_bank.eq(compute_bank)]

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
        accumulate_stage = 3 + tree
        done_stage = accumulate_stage + config.rescale_stages
        stage = taps(m, flags, done_stage, name="flags")

        # Stage 1: the block RAMs' words go straight into registers (stage 2): a DP16KD's
        # clock-to-out is 5.8 ns on ECP5 speed 6 (yosys never uses its output register).
        # Then the word is unpacked to two bits per weight, and activation lanes past the
        # matrix's columns are zeroed; stage 3 holds both.
        read_word = delay(m, weight_read.data, 1, name="read_word")
        read_chunk = delay(m, vectors.data.as_value(), 1, name="read_chunk")
        word = _two_bit_weights(m, config, read_word)
        m.submodules.dot = dot = TernaryDotProducts(config)
        weights = data_register(unsigned(2 * config.weights_per_word), "trits")
        x_in = data.View(dot.x.shape(), read_chunk)
        x = Signal(dot.x.shape(), name="x", reset_less=True)
        m.d.sync += weights.eq(word)
        for lane in range(li):
            m.d.sync += x[lane].eq(Mux(lane < stage[2].cols_valid, x_in[lane], 0))
        m.d.comb += [dot.nonzero.eq(Cat(*(weights[2 * k] for k in range(config.weights_per_word)))),
                     dot.negative.eq(Cat(*(weights[2 * k + 1]
                                           for k in range(config.weights_per_word)))),
                     dot.x.eq(x)]

        # Accumulate chunk sums into row sums (adds only; the tree's left-over +1 is the
        # carry-in). A row's sum goes to the rescale as it completes, and the register
        # is cleared then (its flip-flops' synchronous reset), so the next row block
        # starts from 0 without a multiplexer in front of the adder. The register is
        # cleared by a reset too: one that cuts a row short must not leave its partial
        # sum to the next job (found by the reset_in_every_phase test).
        m.submodules.rescale = rescale = BitLinearRescale(config)
        at_sum = stage[accumulate_stage]
        for row in range(lo):
            total = Signal(rescale.sums[row].shape(), name=f"row_sum{row}")
            row_sum = total + dot.sums[row] + dot.carries[row]
            with m.If(at_sum.valid):
                m.d.sync += total.eq(Mux(at_sum.result, 0, row_sum))
            m.d.comb += rescale.sums[row].eq(row_sum)
        ahead = stage[accumulate_stage - BitLinearRescale.SCALES_AHEAD]
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
