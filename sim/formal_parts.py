"""Formal specifications of the parts every unit shares, proved by k-induction (for every
cycle, not only a bounded run): what each promises its users, written as assertions,
with what it requires of them written as assumptions.

Each spec is an Elaboratable with ``ports()``, for ``sim.formal.prove``. A spec tracks one
word of the solver's choosing through the part (``watch`` picks it): if that word always
comes out right, every word does.
"""

from amaranth.hdl import Assume, C, Cat, Module, Mux, Signal, Value, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In

from accelgen.hw.banks import BankFlags, pick
from accelgen.hw.credit_fifo import CreditFIFO
from accelgen.hw.frame_fifo import FrameFIFO
from accelgen.hw.vector_buffer import VectorBuffer
from accelgen.numbers import ceil_log2

from .formal import StreamContract, claim, component_ports


class Watched:
    """A spec's ``watch`` input beside the part's ports: the solver raises it to pick
    the word the spec follows."""

    def ports(self) -> list:
        return component_ports(self) + [self.watch]


class CreditFIFOSpec(Watched, CreditFIFO):
    """The credit FIFO delivers the words written into it, in order, each exactly once,
    and keeps the stream contract, under any back-pressure and resets, if its users keep
    theirs: they reserve only while ``can_reserve`` says they may, at most
    ``max_reserve`` slots at a time, and write only slots they reserved earlier."""

    def __init__(self, *, depth: int, max_reserve: int, width: int = 3):
        # (the FIFO stores the payload layouts of the units' results)
        super().__init__(data.StructLayout({"word": unsigned(width)}), depth=depth,
                         max_reserve=max_reserve)
        self.watch = Signal()

    def elaborate(self, platform):
        m = Module()
        fifo = self
        state = self.build(m)
        m.submodules.contract = StreamContract(self, elaborate_unit=False)
        taken = fifo.result.valid & fifo.result.ready
        depth = self._depth

        owed = Signal(range(depth + 1))           # slots reserved and not yet written
        m.d.sync += owed.eq(owed + fifo.reserve - fifo.w_en)
        m.d.comb += [Assume((fifo.reserve == 0) | fifo.can_reserve),
                     Assume(fifo.reserve <= self._max_reserve),
                     Assume(~fifo.w_en | (owed != 0))]
        inside = Signal(range(depth + 2))         # written, not yet taken by the consumer
        m.d.sync += inside.eq(inside + fifo.w_en - taken)
        m.d.comb += claim(inside + owed <= depth, "credits bound the contents")

        watching = Signal()
        word = Signal.like(fifo.w_data)
        ahead = Signal.like(inside)               # words to leave before the watched one
        with m.If(watching & taken):
            m.d.sync += ahead.eq(ahead - 1)
            with m.If(ahead == 0):
                m.d.comb += claim(fifo.result.payload.word == word.word,
                                   "words leave in order")
                m.d.sync += watching.eq(0)
        with m.If(~watching & self.watch & fifo.w_en):
            m.d.sync += [watching.eq(1), word.eq(fifo.w_data), ahead.eq(inside - taken)]

        # Invariants: how the FIFO's state encodes the counters above (an induction
        # proof needs them; each is checked like any assertion)
        outstanding = (state.taken - state.freed)[:len(state.taken)]
        in_memory = (state.write_address - state.read_address + depth)[:len(state.taken)]
        peek = state.memory.read_port(domain="comb")
        slot = Signal(range(depth))
        offset = Signal.like(ahead)
        m.d.comb += [
            claim(outstanding == inside + owed, "reservations counted"),
            claim(inside == state.stored + state.out_valid, "contents counted"),
            claim(state.nonempty == (state.stored != 0), "nonempty is stored != 0"),
            claim((state.write_address < depth) & (state.read_address < depth),
                  "addresses in range"),
            claim(Mux(in_memory >= depth, in_memory - depth, in_memory) ==
                   Mux(state.stored == depth, 0, state.stored), "addresses apart by stored"),
            claim(~fifo.can_reserve | (outstanding <= depth - self._max_reserve),
                   "can_reserve leaves room"),
            claim(~watching | (ahead < inside), "the watched word is inside"),
            offset.eq(ahead - state.out_valid),
            slot.eq(Mux(state.read_address + offset >= depth,
                        state.read_address + offset - depth, state.read_address + offset)),
            peek.addr.eq(slot),
        ]
        with m.If(watching & (ahead >= state.out_valid)):
            m.d.comb += claim(peek.data == Value.cast(word), "the watched word is kept")
        with m.If(watching & (ahead == 0) & state.out_valid):
            m.d.comb += claim(fifo.result.payload.word == word.word, "the watched word is out")
        return m


class VectorBufferSpec(Watched, VectorBuffer):
    """Each slot gives back the vector that filled it (every chunk, the header of its
    first beat, its chunk count) until the engine releases it, and a slot takes no beat
    while full, under any producer timing and resets, if the engine reads and releases
    only full slots."""

    def __init__(self, *, max_chunks: int, width: int = 3):
        super().__init__(data.StructLayout({"x": unsigned(width), "h": unsigned(2), "last": 1}),
                         max_chunks)
        self.watch = Signal()

    def elaborate(self, platform):
        m = Module()
        state = self.build(m)
        m.submodules.contract = StreamContract(self, elaborate_unit=False)
        beat = self.vector.payload
        taken = self.vector.valid & self.vector.ready
        m.d.comb += [Assume(~self.read_en | self.full.bit_select(self.read_slot, 1)),
                     Assume(~self.release | self.full.bit_select(self.release_slot, 1))]

        # the spec's own account of the vector filling: beats taken, first beat's header
        beats = Signal(range(self._max_chunks + 1))
        in_vector = Signal()
        with m.If(taken):
            m.d.sync += in_vector.eq(~beat.last)
            with m.If(beat.last):
                m.d.sync += beats.eq(0)
            with m.Elif(beats != self._max_chunks):
                m.d.sync += beats.eq(beats + 1)
        filling = self.full.bit_select(state.fill_slot, 1)
        m.d.comb += [
            claim(in_vector == state.in_vector, "the vector's beats counted"),
            claim((state.fill_address == beats) & (beats <= self._max_chunks),
                  "chunks written in order"),
            claim(~(in_vector & filling), "a full slot takes no beats"),
        ]
        first_header = Signal.like(beat.h)
        with m.If(taken & ~in_vector):
            m.d.sync += first_header.eq(beat.h)
        with m.If(in_vector):
            m.d.comb += claim(self.header[state.fill_slot].h == first_header,
                               "the header is the first beat's")

        # one chunk of the solver's choosing, from the beat that writes it until its slot
        # is released
        watching = Signal()
        slot = Signal()
        chunk = Signal(range(self._max_chunks))
        word = Signal.like(beat.x)
        header = Signal.like(beat.h)
        whole = Signal()              # its vector is complete (the slot is full)
        count = Signal(range(self._max_chunks + 1))     # beats of its vector so far
        with m.If(~watching & self.watch & taken & (beats != self._max_chunks)):
            m.d.sync += [watching.eq(1), slot.eq(state.fill_slot), chunk.eq(beats),
                         word.eq(beat.x), header.eq(Mux(in_vector, first_header, beat.h)),
                         whole.eq(beat.last),
                         count.eq(beats + 1)]
        with m.If(watching & ~whole & taken):
            with m.If(count != self._max_chunks):
                m.d.sync += count.eq(count + 1)
            with m.If(beat.last):
                m.d.sync += whole.eq(1)
        with m.If(watching & self.release & (self.release_slot == slot)):
            m.d.sync += watching.eq(0)
        peek = state.memory.read_port(domain="comb")
        m.d.comb += peek.addr.eq(Cat(chunk[:max(1, ceil_log2(self._max_chunks))], slot)
                                 if self._max_chunks > 1 else slot)
        held = self.full.bit_select(slot, 1)
        with m.If(watching):
            m.d.comb += [
                claim(peek.data == word, "the watched chunk is kept"),
                claim(held == whole, "the slot is full once its vector is"),
                claim(whole | ((state.fill_slot == slot) & in_vector), "it fills in order"),
                claim(whole | (beats == count), "its beats counted"),
                claim((chunk < count) & (count <= self._max_chunks), "it is one of them"),
                claim(self.header[slot].h == header, "its header is kept"),
                claim(whole | (first_header == header), "its header is the first beat's"),
            ]
            with m.If(whole):
                m.d.comb += claim(self.chunks_last[slot] == count - 1,
                                   "its chunk count is kept")
        # a read of the watched chunk gives it in the next cycle
        expect = Signal()
        m.d.sync += expect.eq(watching & whole & self.read_en & (self.read_slot == slot) &
                              (self.read_chunk == chunk))
        with m.If(expect):
            m.d.comb += claim(self.data == word, "a read gives the chunk")
        return m


class FrameFIFOSpec(Watched, FrameFIFO):
    """The host link's frame FIFO gives out exactly the beats of committed frames, each
    once, in order and unchanged, with ``frame_consumed`` on each frame's last beat; it
    never gives a beat of a rolled-back frame or one written before a ``clear``, and
    ``free`` never promises room that is taken; under any back-pressure, clears and
    resets, if the link's receiver keeps its side (hw/link_receiver.py does): bytes of a
    beat in lane order, a beat started only while ``free`` is not 0, and a frame ended
    (committed or rolled back) in a cycle without a write, committed only on a beat
    boundary."""

    def __init__(self, *, beat_bytes: int, depth: int):
        super().__init__(beat_bytes, depth)
        self.watch = Signal()

    def elaborate(self, platform):
        m = Module()
        state = self.build(m)
        m.submodules.contract = StreamContract(self, elaborate_unit=False, clear=self.clear)
        depth, lanes = self._depth, self._beat_bytes
        taken = self.beats.valid & self.beats.ready
        beat_done = self.w_en & self.w_beat_done

        lane = Signal(range(lanes))               # the receiver's next lane
        with m.If(self.w_en):
            m.d.sync += lane.eq(Mux(self.w_beat_done, 0, lane + 1))
        with m.If(self.commit | self.rollback | self.clear):
            m.d.sync += lane.eq(0)
        m.d.comb += [
            Assume(~self.w_en | ((self.w_lane == lane) &
                                 (self.w_beat_done == (lane == lanes - 1)))),
            Assume(~self.w_en | (lane != 0) | (self.free != 0)),
            Assume(~((self.commit | self.rollback) & self.w_en)),
            Assume(~(self.commit & self.rollback)),
            Assume(~self.commit | (lane == 0)),
        ]

        # the spec's account: whole beats written and not yet ended, beats committed and
        # not yet taken
        pending = Signal(range(depth + 1))
        readable = Signal(range(depth + 2))
        with m.If(self.commit | self.rollback):
            m.d.sync += pending.eq(0)
        with m.Elif(beat_done):
            m.d.sync += pending.eq(pending + 1)
        m.d.sync += readable.eq(readable + Mux(self.commit, pending, 0) - taken)
        with m.If(self.clear):
            m.d.sync += [pending.eq(0), readable.eq(0)]
        m.d.comb += [
            claim(~self.beats.valid | (readable != 0), "only committed beats leave"),
            claim(pending + readable - state.shown + self.free <= depth,
                  "free is room no beat holds"),
        ]

        # a beat of the solver's choosing, from its last byte until it leaves
        watching, waiting = Signal(), Signal()      # waiting: not yet committed
        value = Signal(8 * lanes)
        bytes_so_far = Signal(8 * lanes)
        ahead = Signal(range(2 * depth + 1))        # beats that leave before it
        after = Signal(range(depth + 1))            # beats of its frame written after it
        last = Signal()                             # it ends its frame
        with m.If(self.w_en):
            m.d.sync += bytes_so_far.word_select(self.w_lane, 8).eq(self.w_byte)
        arriving = (bytes_so_far & ~(0xFF << (8 * (lanes - 1)))) | \
            (self.w_byte << (8 * (lanes - 1)))
        with m.If(watching & waiting & beat_done):
            m.d.sync += after.eq(after + 1)
        with m.If(watching & waiting & self.commit):
            m.d.sync += [waiting.eq(0), last.eq(after == 0)]
        with m.If(watching & taken):
            m.d.sync += ahead.eq(ahead - 1)
            with m.If(ahead == 0):
                m.d.comb += [claim(~waiting, "no beat leaves before its frame's commit"),
                             claim(self.beats.payload == value, "beats leave unchanged"),
                             claim(self.frame_consumed == last,
                                   "frame_consumed on a frame's last beat only")]
                m.d.sync += watching.eq(0)
        with m.If(~watching & self.watch & beat_done):
            m.d.sync += [watching.eq(1), waiting.eq(1), value.eq(arriving),
                         ahead.eq(readable + pending - taken), after.eq(0), last.eq(0)]
        with m.If((watching & waiting & self.rollback) | self.clear):
            m.d.sync += watching.eq(0)

        # Invariants: how the pointers encode the account above
        def span(later, earlier):
            """Beats from one pointer to another (they carry a wrap bit)."""
            return (later - earlier + 2 * depth)[:len(state.written)]
        m.d.comb += [
            claim(span(state.written, state.committed) == pending, "pending beats counted"),
            claim(span(state.committed, state.fetched) + state.shown == readable,
                  "readable beats counted"),
            claim(span(state.written, state.fetched) <= depth, "at most depth beats held"),
            claim((lane == 0) | (span(state.written, state.fetched) < depth),
                  "a beat being written has a free slot"),
        ]
        # the bytes of the beat being written are in its slot already
        partial_peek = state.data.read_port(domain="comb")
        m.d.comb += partial_peek.addr.eq(state.written[:max(1, (depth - 1).bit_length())])
        for index in range(lanes - 1):
            with m.If(lane > index):
                m.d.comb += claim(partial_peek.data.word_select(index, 8) ==
                                  bytes_so_far.word_select(index, 8),
                                  "a beat's first bytes are in its slot")
        in_memory = Signal(range(2 * depth + 1))      # beats of memory before the watched
        m.d.comb += in_memory.eq(ahead - state.shown)
        data_peek = state.data.read_port(domain="comb")
        ends_peek = state.ends.read_port(domain="comb")
        slot = (state.fetched + in_memory)[:max(1, (depth - 1).bit_length())]
        m.d.comb += [data_peek.addr.eq(slot), ends_peek.addr.eq(slot)]
        with m.If(watching):
            m.d.comb += [
                claim(ahead < readable + pending, "it is held"),
                claim(waiting | (ahead < readable), "a committed beat is readable"),
                claim(~waiting | (ahead + after + 1 == readable + pending),
                      "its frame's beats counted"),
                claim(~waiting | (after < pending), "it is pending"),
            ]
            with m.If((ahead >= state.shown)):
                m.d.comb += [claim(data_peek.data == value, "it is kept"),
                             claim(ends_peek.data == (last & ~waiting), "its end flag is kept")]
            with m.If((ahead == 0) & state.shown):
                m.d.comb += [claim(self.beats.payload == value, "it is shown"),
                             claim(state.end_out == last, "its end flag is shown")]
        return m


class BankHandoverSpec(wiring.Component):
    """Weight banks taking turns: with ``BankFlags`` kept the way the units keep them, a
    job computes only on its own tile, whole, and a tile loads only into a bank whose
    last job has let go of it; ``busy`` and ``full`` are exactly what they promise (no
    wait longer than needed). Under any timing and resets, if the loader and the engine
    keep their side: tiles go into the banks in turn, a row is taken only while its bank
    is not busy, a tile's ``occupy`` comes with its last row (``occupy_delay`` 0, the
    ternary loader) or one cycle later (1, the weight-stationary array), its ``fill``
    then or later; jobs use the banks in turn and issue only while their bank is full,
    and each job's ``free`` comes with its end or later, in job order.

    The solver drives the events (``row``, ``tile_end``, ``fill``, ``issue``,
    ``job_end``, ``free``); which bank each names follows from the turns.
    """

    def __init__(self, *, banks: int, occupy_delay: int):
        assert banks in (1, 2) and occupy_delay in (0, 1)
        self._banks, self._occupy_delay = banks, occupy_delay
        super().__init__({name: In(1) for name in
                          ("row", "tile_end", "fill", "issue", "job_end", "free")})

    def ports(self) -> list:
        return component_ports(self)

    def elaborate(self, platform):
        m = Module()
        m.submodules.flags = flags = BankFlags(self._banks)
        banks = self._banks

        def bank_of(count):
            return count[0] if banks == 2 else C(0, 1)

        # the spec's account: tiles and jobs counted from reset (3 bits: at most two
        # tiles are ever ahead of the jobs, so differences are exact)
        counters = ("started", "occupied", "filled", "ended", "freed")
        count = {name: Signal(3, name=f"{name}_count") for name in counters}
        in_tile = Signal()                   # the loader is inside a tile
        tile_of_bank = [Signal(3, name=f"tile_in_bank{b}") for b in range(banks)]
        load_bank = Mux(in_tile, bank_of(count["started"] - 1), bank_of(count["started"]))
        busy, full = flags.busy, flags.full

        # the loader's side
        row_taken = self.row & ~busy.bit_select(load_bank, 1)
        tile_done = Signal()
        m.d.comb += tile_done.eq(row_taken & self.tile_end)
        with m.If(row_taken & ~in_tile):
            m.d.sync += count["started"].eq(count["started"] + 1)
            for bank in range(banks):
                with m.If(bank_of(count["started"]) == bank):
                    m.d.sync += tile_of_bank[bank].eq(count["started"])
        with m.If(row_taken):
            m.d.sync += in_tile.eq(~self.tile_end)
        occupy = Signal()
        if self._occupy_delay:
            m.d.sync += occupy.eq(tile_done)
        else:
            m.d.comb += occupy.eq(tile_done)
        occupied_now = count["occupied"] + occupy
        m.d.comb += [flags.occupy.eq(occupy), flags.occupy_bank.eq(bank_of(count["occupied"])),
                     Assume(~self.fill | (count["filled"] != occupied_now[:3])),
                     flags.fill.eq(self.fill), flags.fill_bank.eq(bank_of(count["filled"]))]
        m.d.sync += [count["occupied"].eq(occupied_now),
                     count["filled"].eq(count["filled"] + self.fill)]

        # the engine's side
        compute_bank = bank_of(count["ended"])
        ended_now = count["ended"] + self.job_end
        m.d.comb += [Assume(~self.issue | full.bit_select(compute_bank, 1)),
                     Assume(~self.job_end | self.issue),
                     Assume(~self.free | (count["freed"] != ended_now[:3])),
                     flags.empty.eq(self.job_end), flags.empty_bank.eq(compute_bank),
                     flags.free.eq(self.free), flags.free_bank.eq(bank_of(count["freed"]))]
        m.d.sync += [count["ended"].eq(ended_now),
                     count["freed"].eq(count["freed"] + self.free)]

        def ahead(later, earlier):
            return (count[later] - count[earlier])[:3]

        with m.If(row_taken & ~in_tile):
            m.d.comb += claim(ahead("started", "freed") < banks,
                              "a tile loads only into a bank its last job let go of")
        with m.If(self.issue):
            m.d.comb += [claim(ahead("filled", "ended") != 0, "a job computes on a whole tile"),
                         claim(pick(compute_bank, tile_of_bank) == count["ended"],
                               "a job computes on its own tile")]

        # Invariants: the flags are exact, and the counts keep their order
        for bank in range(banks):
            # bank b holds the tile (b - freed) mod banks places after the oldest
            offset = (bank - count["freed"])[:1] if banks == 2 else 0
            m.d.comb += claim(busy[bank] == (ahead("occupied", "freed") > offset),
                              "busy from occupy until free")
            with m.If(ahead("started", "freed") > offset):
                m.d.comb += claim(tile_of_bank[bank] == (count["freed"] + offset)[:3],
                                  "each bank holds its tile")
            offset = (bank - count["ended"])[:1] if banks == 2 else 0
            m.d.comb += claim(full[bank] == (ahead("filled", "ended") > offset),
                              "full from fill until empty")
        started_not_occupied = ahead("started", "occupied")
        m.d.comb += [
            claim(ahead("ended", "freed") <= ahead("filled", "freed"), "jobs end after fills"),
            claim(ahead("filled", "freed") <= ahead("occupied", "freed"),
                  "fills after occupies"),
            claim(ahead("occupied", "freed") <= ahead("started", "freed"),
                  "occupies after starts"),
            claim(ahead("started", "freed") <= banks, "at most one tile per bank"),
            claim(started_not_occupied == (in_tile + occupy if self._occupy_delay else in_tile),
                  "the tile being loaded is not occupied yet"),
        ]
        return m


#: (test id, part, parameters in words, spec) of every shared part's proof, for the suite
#: and the benchmark
SHARED_PART_PROOFS = [
    ("credit-fifo-4-2", "credit FIFO", "depth 4, max_reserve 2",
     lambda: CreditFIFOSpec(depth=4, max_reserve=2)),
    ("credit-fifo-3-1", "credit FIFO", "depth 3, max_reserve 1",
     lambda: CreditFIFOSpec(depth=3, max_reserve=1)),
    ("vector-buffer-1", "vector buffer", "max_chunks 1", lambda: VectorBufferSpec(max_chunks=1)),
    ("vector-buffer-3", "vector buffer", "max_chunks 3", lambda: VectorBufferSpec(max_chunks=3)),
    ("vector-buffer-4", "vector buffer", "max_chunks 4", lambda: VectorBufferSpec(max_chunks=4)),
    ("frame-fifo-1x4", "link frame FIFO", "1-byte beats, depth 4",
     lambda: FrameFIFOSpec(beat_bytes=1, depth=4)),
    ("frame-fifo-2x2", "link frame FIFO", "2-byte beats, depth 2",
     lambda: FrameFIFOSpec(beat_bytes=2, depth=2)),
    ("banks-ws", "weight banks", "2 banks, occupy a cycle after the last row (WS array)",
     lambda: BankHandoverSpec(banks=2, occupy_delay=1)),
    ("banks-ternary-2", "weight banks", "2 banks, occupy with the last word (ternary)",
     lambda: BankHandoverSpec(banks=2, occupy_delay=0)),
    ("banks-ternary-1", "weight banks", "1 bank, occupy with the last word (ternary)",
     lambda: BankHandoverSpec(banks=1, occupy_delay=0)),
]
