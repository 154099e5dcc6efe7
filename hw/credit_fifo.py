"""Result FIFO with credits: space is reserved when work enters a pipeline, so the
pipeline never has to stall and its results always find a slot."""

from types import SimpleNamespace

from amaranth.hdl import Module, Mux, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from .memory_attributes import READS_APART_FROM_WRITES


class CreditFIFO(wiring.Component):
    """A FIFO whose free space is handed out in advance.

    A pipeline asks for ``reserve`` slots, and later writes exactly that many entries
    with ``w_en``; they leave through the ``result`` stream under any back-pressure.

    ``can_reserve`` says that ``max_reserve`` slots may be reserved in this cycle. It is
    a register computed from registers only (so that a ``ready`` built on it is one LUT
    deep), and conservative by one reservation: it is set while at least
    ``2 * max_reserve`` slots were free in the previous cycle, so a reservation made in
    that cycle still leaves enough. ``depth`` should have that much slack.

    Parameters
    ----------
    payload_layout : ShapeLike
    depth : int
    max_reserve : int
        Largest number of slots asked for at once; ``2 * max_reserve <= depth``.

    Members
    -------
    reserve : In(range(max_reserve + 1))
    can_reserve : Out(1)
    can_reserve_next : Out(1)
        ``can_reserve`` of the next cycle (for a ``ready`` decided a cycle ahead)
    w_en, w_data : In
    result : Out(stream.Signature(payload_layout))
    """

    def __init__(self, payload_layout, *, depth: int, max_reserve: int):
        if not 1 <= 2 * max_reserve <= depth:
            raise ValueError(f"2 * max_reserve must be 2..depth ({depth}), got "
                             f"{2 * max_reserve}")
        self._depth = depth
        self._max_reserve = max_reserve
        super().__init__({
            "reserve": In(unsigned(max_reserve.bit_length())),
            "can_reserve": Out(1, init=1), "can_reserve_next": Out(1),
            "w_en": In(1),
            "w_data": In(payload_layout),
            "result": Out(stream.Signature(payload_layout)),
        })

    def elaborate(self, platform):
        m = Module()
        self.build(m)
        return m

    def build(self, m) -> SimpleNamespace:
        """Add the FIFO's logic to ``m``; returns its state (the formal proof states
        invariants on it: sim/formal_parts.py)."""
        # Credited writes always find room, so the memory's write enable is w_en itself
        # (no level compare in front of a wide LUT RAM's write enables, which was the
        # arrays' critical path with SyncFIFOBuffered). The memory holds ``depth``
        # entries, the read port's output register one more: a spare, as before. An entry
        # is read only once stored (0 < stored < depth while a write goes elsewhere).
        depth = self._depth
        width = len(self.w_data.as_value())
        m.submodules.memory = memory = Memory(shape=width, depth=depth, init=[],
                                              attrs=READS_APART_FROM_WRITES)
        write, read = memory.write_port(), memory.read_port()
        write_address = Signal(range(depth))
        read_address = Signal(range(depth))
        stored = Signal(range(depth + 1))       # entries in the memory, not yet read out
        # stored != 0, kept in a register of its own: `load` enables the wide output
        # register, and the compare in front of it was the 8x8 arrays' critical path
        nonempty = Signal()
        out_valid = Signal()
        load = Signal()                        # memory -> output register
        m.d.comb += [
            write.en.eq(self.w_en), write.addr.eq(write_address), write.data.eq(self.w_data),
            load.eq(nonempty & (~out_valid | self.result.ready)),
            read.en.eq(load), read.addr.eq(read_address),
            self.result.valid.eq(out_valid), self.result.payload.eq(read.data),
        ]
        with m.If(self.w_en):
            m.d.sync += write_address.eq(Mux(write_address == depth - 1, 0, write_address + 1))
        with m.If(load):
            m.d.sync += read_address.eq(Mux(read_address == depth - 1, 0, read_address + 1))
        stored_next = Signal.like(stored)
        m.d.comb += stored_next.eq(stored + self.w_en - load)
        m.d.sync += [stored.eq(stored_next), nonempty.eq(stored_next != 0)]
        with m.If(load):
            m.d.sync += out_valid.eq(1)
        with m.Elif(self.result.ready):
            m.d.sync += out_valid.eq(0)
        # Two free-running counters instead of one up/down counter: each only adds, so
        # the handshakes drive their enables, not an adder-and-compare chain.
        counter_bits = (2 * self._depth).bit_length()
        taken = Signal(counter_bits)
        freed = Signal(counter_bits)
        with m.If(self.reserve != 0):
            m.d.sync += taken.eq(taken + self.reserve)
        with m.If(self.result.valid & self.result.ready):
            m.d.sync += freed.eq(freed + 1)
        outstanding = Signal(range(self._depth + 1))
        m.d.comb += outstanding.eq(taken - freed)
        m.d.comb += self.can_reserve_next.eq(outstanding <= self._depth - 2 * self._max_reserve)
        m.d.sync += self.can_reserve.eq(self.can_reserve_next)
        return SimpleNamespace(memory=memory, write_address=write_address,
                               read_address=read_address, stored=stored, nonempty=nonempty,
                               out_valid=out_valid, taken=taken, freed=freed)


def result_fifo(m, result, payload_layout, *, depth: int, max_reserve: int) -> CreditFIFO:
    """A CreditFIFO added to ``m`` that feeds the component's ``result`` stream."""
    m.submodules.results = fifo = CreditFIFO(payload_layout, depth=depth,
                                             max_reserve=max_reserve)
    wiring.connect(m, wiring.flipped(result), fifo.result)
    return fifo
