"""Two activation vectors in block RAM: one fills from a stream while the engine
reads the other."""

from types import SimpleNamespace

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from accelgen.numbers import ceil_log2, index_range

from .banks import pick
from .memory_attributes import READS_APART_FROM_WRITES


class VectorBuffer(wiring.Component):
    """Beats of a vector (its first field: one chunk of lanes each; ``last`` ends the
    vector) fill slot 0, then slot 1, then 0 again; a slot takes a vector only when the
    engine has ``release``d its previous one. Beats past ``max_chunks`` are taken and
    dropped. The beat's other fields, if any, are the vector's ``header``: taken from
    its first beat, kept per slot.

    The engine reads chunk ``read_chunk`` of slot ``read_slot`` with ``read_en``;
    ``data`` has it from the next cycle on, and keeps it until the next read. A slot
    starts at a power-of-two address, so the read address is the two side by side (no
    adder between the engine's counters and the memory).

    Members
    -------
    vector : In(stream.Signature(StructLayout({"x": ..., [header fields], "last": 1})))
    full, chunks_last, header : Out, per slot: a vector is there; its chunk count − 1;
        its header fields
    full_next : Out, per slot: ``full`` of the next cycle (for a ``ready`` decided a
        cycle ahead)
    read_slot, read_chunk, read_en : In
    data : Out(the vector field's layout)
    release, release_slot : In: the engine is done with that slot's vector
    """

    def __init__(self, beat_layout: data.StructLayout, max_chunks: int):
        self._max_chunks = max_chunks
        fields = [name for name, _ in beat_layout if name != "last"]
        self._field, self._header = fields[0], fields[1:]
        self._x = beat_layout[self._field].shape
        header = data.StructLayout({name: beat_layout[name].shape for name in self._header})
        super().__init__({
            "vector": In(stream.Signature(beat_layout)),
            "full": Out(2), "full_next": Out(2),
            "chunks_last": Out(data.ArrayLayout(index_range(max_chunks), 2)),
            **({"header": Out(data.ArrayLayout(header, 2))} if self._header else {}),
            "read_slot": In(1), "read_chunk": In(index_range(max_chunks)), "read_en": In(1),
            "data": Out(self._x),
            "release": In(1), "release_slot": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        self.build(m)
        return m

    def build(self, m) -> SimpleNamespace:
        """Add the buffer's logic to ``m``; returns its state (the formal proof states
        invariants on it: sim/formal_parts.py)."""
        max_chunks = self._max_chunks
        chunk_bits = ceil_log2(max_chunks)
        # block RAM even when shallow: as LUT RAM it would cost more LUTs than a lane; a
        # slot's words are used only while it is full, and a full slot takes no writes
        m.submodules.memory = memory = Memory(
            shape=self._x, depth=2 << chunk_bits, init=[],
            attrs={"ram_style": "block", **READS_APART_FROM_WRITES})
        write, read = memory.write_port(), memory.read_port()

        fill_slot = Signal()
        fill_address = Signal(range(max_chunks + 1))
        beat = self.vector.payload
        filling = self.vector.valid & self.vector.ready
        room = fill_address != max_chunks
        m.d.comb += [
            self.vector.ready.eq(~pick(fill_slot, [self.full[0], self.full[1]])),
            write.en.eq(filling & room),
            write.addr.eq(Cat(fill_address[:chunk_bits], fill_slot)),
            write.data.eq(beat[self._field]),
        ]
        in_vector = Signal()           # a beat of the vector filling was taken
        with m.If(filling):
            m.d.sync += in_vector.eq(~beat.last)
            for slot in range(2):
                with m.If(~in_vector & (fill_slot == slot)):
                    m.d.sync += [self.header[slot][name].eq(beat[name]) for name in self._header]
            with m.If(room):
                m.d.sync += fill_address.eq(fill_address + 1)
            with m.If(beat.last):
                m.d.sync += [fill_address.eq(0), fill_slot.eq(~fill_slot)]
                last_chunk = Mux(room, fill_address, max_chunks - 1)
                with m.If(fill_slot):
                    m.d.sync += self.chunks_last[1].eq(last_chunk)
                with m.Else():
                    m.d.sync += self.chunks_last[0].eq(last_chunk)
        # a slot fills on its vector's last beat and empties on its release (never both:
        # a full slot takes no beats)
        for slot in range(2):
            filled = filling & beat.last & (fill_slot == slot)
            released = self.release & (self.release_slot == slot)
            m.d.comb += self.full_next[slot].eq((self.full[slot] | filled) & ~released)
        m.d.sync += self.full.eq(self.full_next)
        m.d.comb += [read.en.eq(self.read_en),
                     read.addr.eq(Cat(self.read_chunk[:chunk_bits], self.read_slot)),
                     self.data.eq(read.data)]
        return SimpleNamespace(memory=memory, fill_slot=fill_slot, fill_address=fill_address,
                               in_vector=in_vector)
