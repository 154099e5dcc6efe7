"""The ternary unit's weight loader: a load's words into a bank of the weight memory,
its header into the shape the engine's counters need."""

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from accelgen.numbers import index_range
from accelgen.ternary_config import SCALE_BITS, TernaryConfig

from .arithmetic import ceil_divide, multiply_by_constant
from .banks import pick
from .pipeline import data_register, taps
from .ternary_layouts import weight_layout


def bank_shape_layout(config: TernaryConfig) -> data.StructLayout:
    """A bank's matrix as the engine's counters need it."""
    return data.StructLayout({
        "chunks_last": index_range(config.max_chunks),
        "blocks_last": index_range(config.max_hidden_blocks),
        "one_chunk": 1, "one_block": 1,
        "cols_in_last_chunk": range(config.lanes_in + 1),
        "rows_in_last_block": range(config.lanes_out + 1),
        "scale": unsigned(SCALE_BITS)})


def _clamp(field, top: int):
    """A header field into 1..top (no comparison where the field cannot exceed top)."""
    at_least_one = Mux(field == 0, 1, field)
    if (1 << len(field)) - 1 <= top:
        return at_least_one
    return Mux(field > top, top, at_least_one)


class WeightLoader(wiring.Component):
    """Loads alternate between the banks (one bank without ``double_buffer``). A load
    waits until its bank is no longer ``busy``; its words go to the weight memory
    (``write``, one cycle after each transfer, from registers; words past a bank's
    size are dropped) and its last word raises ``occupy``. The first beat's header is
    clamped to 1..max, divided into chunks and row blocks, and kept per bank in
    ``shapes``; ``loaded`` marks the bank usable four cycles after its last word is
    written, when its shape and the engine's flags are ready, even for a one-word load.
    """

    def __init__(self, config: TernaryConfig):
        self._config = config
        banks = config.banks
        bank = index_range(banks)
        super().__init__({
            "weights": In(stream.Signature(weight_layout(config))),
            "busy": In(banks),
            "occupy": Out(1), "occupy_bank": Out(bank),
            "write_en": Out(1), "write_address": Out(index_range(banks * config.bank_words)),
            "write_data": Out(unsigned(config.word_bits)),
            "loaded": Out(1), "loaded_bank": Out(bank),
            "shapes": Out(data.ArrayLayout(bank_shape_layout(config), banks)),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        li, lo, banks, bank_words = config.lanes_in, config.lanes_out, config.banks, \
            config.bank_words
        load_bank = Signal(index_range(banks))
        load_address = Signal(index_range(bank_words))
        room = Signal(init=1)       # load_address has not passed the bank's last word
        in_load = Signal()
        beat = self.weights.payload
        loading = self.weights.valid & self.weights.ready
        m.d.comb += [self.weights.ready.eq(~pick(load_bank, [self.busy[b] for b in range(banks)])),
                     self.occupy.eq(loading & beat.last), self.occupy_bank.eq(load_bank)]
        with m.If(loading):
            m.d.sync += in_load.eq(~beat.last)
            with m.If(room):
                m.d.sync += [load_address.eq(load_address + 1),
                             room.eq(load_address != bank_words - 1)]
            with m.If(beat.last):
                m.d.sync += [load_address.eq(0), room.eq(1)]
                if banks == 2:
                    m.d.sync += load_bank.eq(~load_bank)
        # The word is written one cycle later, from registers.
        write = Signal(data.StructLayout({"valid": 1, "last": 1, "bank": index_range(banks),
                                          "address": index_range(banks * bank_words)}))
        write_data = data_register(unsigned(config.word_bits), "write_data")
        m.d.sync += [write.valid.eq(loading & room),
                     write.last.eq(loading & beat.last), write.bank.eq(load_bank),
                     write.address.eq(load_address + Mux(load_bank, bank_words, 0)),
                     write_data.eq(beat.data)]
        m.d.comb += [self.write_en.eq(write.valid), self.write_address.eq(write.address),
                     self.write_data.eq(write_data)]
        loaded = taps(m, Signal(data.StructLayout({"valid": 1, "bank": index_range(banks)})),
                      4, name="loaded")
        m.d.comb += [loaded[0].valid.eq(write.last), loaded[0].bank.eq(write.bank),
                     self.loaded.eq(loaded[-1].valid), self.loaded_bank.eq(loaded[-1].bank)]

        # the header (first beat): three register stages, clamp, divide, the bank's fields
        header = Signal(data.StructLayout({"valid": 1, "bank": index_range(banks),
                                           "rows": beat.rows.shape(), "cols": beat.cols.shape(),
                                           "scale": unsigned(SCALE_BITS)}))
        m.d.sync += [header.valid.eq(loading & ~in_load), header.bank.eq(load_bank),
                     header.rows.eq(beat.rows), header.cols.eq(beat.cols),
                     header.scale.eq(beat.scale)]
        shape = data.StructLayout({"valid": 1, "bank": index_range(banks),
                                   "rows": range(config.max_rows + 1),
                                   "cols": range(config.max_cols + 1),
                                   "chunks": range(config.max_chunks + 1),
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
            fields = self.shapes[index]
            with m.If(divided.valid & (divided.bank == index)):
                m.d.sync += [
                    fields.chunks_last.eq(divided.chunks - 1),
                    fields.blocks_last.eq(divided.blocks - 1),
                    fields.one_chunk.eq(divided.chunks == 1),
                    fields.one_block.eq(divided.blocks == 1),
                    fields.cols_in_last_chunk.eq(
                        divided.cols + li - multiply_by_constant(divided.chunks, li)),
                    fields.rows_in_last_block.eq(
                        divided.rows + lo - multiply_by_constant(divided.blocks, lo)),
                    fields.scale.eq(divided.scale),
                ]
        return m
