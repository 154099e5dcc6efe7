"""A beat FIFO written a byte at a time, whose writes stay invisible until committed.

The host link writes a frame's payload into the target port's FIFO as its bytes arrive
and learns only at the frame's end whether the CRC checked: ``commit`` then makes the
frame's beats readable, ``rollback`` forgets them. A unit therefore never sees a beat of
a corrupted frame, and no frame has to be staged and copied.
"""

from types import SimpleNamespace

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out


class FrameFIFO(wiring.Component):
    """Beats of ``beat_bytes`` bytes, ``depth`` of them (a power of two).

    Members
    -------
    w_en, w_byte, w_lane : In
        Write ``w_byte`` into byte ``w_lane`` of the beat being written.
    w_beat_done : In(1)
        With ``w_en``: this byte completes the beat (the next byte starts a new one).
    free : Out
        Beats that can still be written (the uncommitted ones count as taken).
    commit, rollback : In(1)
        End the frame being written: make its beats readable (the last one carries the
        frame-end flag), or forget them.
    clear : In(1)
        Forget everything, read or not (a unit's reset).
    beats : Out(stream.Signature(beat_bytes * 8))
    frame_consumed : Out(1)
        A frame's last beat left through ``beats`` in this cycle.
    """

    def __init__(self, beat_bytes: int, depth: int):
        if depth < 1 or depth & (depth - 1):
            raise ValueError(f"depth must be a power of two, got {depth}")
        self._beat_bytes, self._depth = beat_bytes, depth
        super().__init__({
            "w_en": In(1), "w_byte": In(8), "w_lane": In(range(beat_bytes)),
            "w_beat_done": In(1), "free": Out(range(depth + 1)),
            "commit": In(1), "rollback": In(1), "clear": In(1),
            "beats": Out(stream.Signature(beat_bytes * 8)),
            "frame_consumed": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        self.build(m)
        return m

    def build(self, m):
        """The FIFO's logic, in ``m``; its state (for the formal spec's invariants)."""
        depth, lanes = self._depth, self._beat_bytes
        m.submodules.data = data = Memory(shape=lanes * 8, depth=depth, init=[])
        m.submodules.ends = ends = Memory(shape=1, depth=depth, init=[])
        write = data.write_port(granularity=8)
        end_write = ends.write_port()
        read = data.read_port()
        end_read = ends.read_port()

        # pointers carry one wrap bit beyond the address
        written = Signal(range(2 * depth))     # next beat to write (uncommitted)
        committed = Signal(range(2 * depth))
        fetched = Signal(range(2 * depth))     # next beat to move to the output register
        address = slice(0, (depth - 1).bit_length())
        m.d.comb += self.free.eq(depth - (written - fetched)[:len(self.free)])

        m.d.comb += [
            write.addr.eq(written[address]),
            write.data.eq(Cat([self.w_byte] * lanes)),
            write.en.eq(Mux(self.w_en, 1 << self.w_lane, 0)),
            end_write.addr.eq(Mux(self.commit, written - 1, written)[address]),
            end_write.data.eq(self.commit),
            end_write.en.eq((self.w_en & self.w_beat_done) | (self.commit & (written != committed))),
        ]
        with m.If(self.w_en & self.w_beat_done):
            m.d.sync += written.eq(written + 1)

        # one output register: the read port's data, held while not taken
        shown = Signal()
        fetch = (fetched != committed) & (~shown | self.beats.ready)
        m.d.comb += [
            read.addr.eq(fetched[address]), read.en.eq(fetch),
            end_read.addr.eq(fetched[address]), end_read.en.eq(fetch),
            self.beats.valid.eq(shown),
            self.beats.payload.eq(read.data),
            self.frame_consumed.eq(shown & self.beats.ready & end_read.data),
        ]
        with m.If(fetch):
            m.d.sync += [fetched.eq(fetched + 1), shown.eq(1)]
        with m.Elif(self.beats.ready):
            m.d.sync += shown.eq(0)

        with m.If(self.commit):
            m.d.sync += committed.eq(written)
        with m.If(self.rollback):
            m.d.sync += written.eq(committed)
        with m.If(self.clear):
            m.d.sync += [written.eq(0), committed.eq(0), fetched.eq(0), shown.eq(0)]
        return SimpleNamespace(written=written, committed=committed, fetched=fetched,
                               shown=shown, data=data, ends=ends, end_out=end_read.data)
