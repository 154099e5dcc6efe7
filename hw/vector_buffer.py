"""Two activation vectors in block RAM: one fills from a stream while the engine
reads the other."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from accelgen.numbers import index_range


class VectorBuffer(wiring.Component):
    """Beats of a vector (its one field besides ``last``: one chunk of lanes each,
    ``last`` ending the vector) fill slot 0,
    then slot 1, then 0 again; a slot takes a vector only when the engine has
    ``release``d its previous one. Beats past ``max_chunks`` are taken and dropped.

    The engine reads chunk ``read_chunk`` of slot ``read_slot`` with ``read_en``;
    ``data`` has it from the next cycle on, and keeps it until the next read.

    Members
    -------
    vector : In(stream.Signature(StructLayout({"x": ..., "last": 1})))
    full, chunks_last : Out, per slot: a vector is there; its chunk count − 1
    read_slot, read_chunk, read_en : In
    data : Out(the vector field's layout)
    release, release_slot : In: the engine is done with that slot's vector
    """

    def __init__(self, beat_layout: data.StructLayout, max_chunks: int):
        self._max_chunks = max_chunks
        self._field = next(name for name, _ in beat_layout if name != "last")
        self._x = beat_layout[self._field].shape
        super().__init__({
            "vector": In(stream.Signature(beat_layout)),
            "full": Out(2),
            "chunks_last": Out(data.ArrayLayout(index_range(max_chunks), 2)),
            "read_slot": In(1), "read_chunk": In(index_range(max_chunks)), "read_en": In(1),
            "data": Out(self._x),
            "release": In(1), "release_slot": In(1),
        })

    def elaborate(self, platform):
        m = Module()
        max_chunks = self._max_chunks
        # block RAM even when shallow: as LUT RAM it would cost more LUTs than a lane
        m.submodules.memory = memory = Memory(shape=self._x, depth=2 * max_chunks, init=[],
                                              attrs={"ram_style": "block"})
        write, read = memory.write_port(), memory.read_port()

        fill_slot = Signal()
        fill_address = Signal(range(max_chunks + 1))
        beat = self.vector.payload
        filling = self.vector.valid & self.vector.ready
        room = fill_address != max_chunks
        m.d.comb += [
            self.vector.ready.eq(~self.full.bit_select(fill_slot, 1)),
            write.en.eq(filling & room),
            write.addr.eq(fill_address + Mux(fill_slot, max_chunks, 0)),
            write.data.eq(beat[self._field]),
        ]
        with m.If(filling):
            with m.If(room):
                m.d.sync += fill_address.eq(fill_address + 1)
            with m.If(beat.last):
                m.d.sync += [fill_address.eq(0), fill_slot.eq(~fill_slot)]
                last_chunk = Mux(room, fill_address, max_chunks - 1)
                with m.If(fill_slot):
                    m.d.sync += [self.full[1].eq(1), self.chunks_last[1].eq(last_chunk)]
                with m.Else():
                    m.d.sync += [self.full[0].eq(1), self.chunks_last[0].eq(last_chunk)]
        for slot in range(2):
            with m.If(self.release & (self.release_slot == slot)):
                m.d.sync += self.full[slot].eq(0)
        m.d.comb += [read.en.eq(self.read_en),
                     read.addr.eq(self.read_chunk + Mux(self.read_slot, max_chunks, 0)),
                     self.data.eq(read.data)]
        return m
