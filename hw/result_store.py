"""The units' results, framed and kept until the host has them.

Each output port's beats are copied into RESULT frames held in ``slots`` slots of
``slot_bytes``: a frame ends at a beat with ``last``, after ``frame_bytes`` worth of
beats, or when its unit has no beat ready (so that a slow unit never holds the line).
Ports take turns a frame each (round-robin). The transmitter sends the frames in
sequence; a frame's slot is reused only when the host acknowledges it (RESULT_ACK), and
until then the host can have it sent again (RESEND). A result corrupted on the way to
the host is therefore never lost: its sequence number says what is missing.
"""

from amaranth.hdl import Array, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

SEQ_BITS = 8


def slot_bytes(plan) -> int:
    """Bytes of one slot: the longest frame any output port makes, a power of two."""
    longest = max(plan.frame_beats(port) * port.beat_bytes for port in plan.outputs)
    return 1 << (longest - 1).bit_length()


class ResultStore(wiring.Component):
    """Parameters: ``plan`` (accelgen.link_plan.LinkPlan), ``slots`` (a power of two).

    Members
    -------
    results : In(stream.Signature(widest result beat)) per output port (plan order)
    abort_units : In(units)
        Units being reset: a frame of theirs being filled is dropped, and those stored
        but not yet sent are sent empty (their sequence numbers stay in order).
    clear : In(1)
        Drop every frame, sent or not (a reset of every unit).
    acknowledge, acknowledged : In
        The host has every frame before sequence number ``acknowledged``.
    rewind, rewind_to : In
        The host has every frame before ``rewind_to`` and wants the rest again (applied
        between frames).
    oldest : Out
        The sequence number of the oldest frame the host has not acknowledged.
    frame_ready : Out(1)
        A frame is waiting to be sent: ``frame_seq``, ``frame_unit``, ``frame_port``,
        ``frame_length`` (body bytes), its body at ``frame_base`` in the memory.
    read_address : In, read_data : Out(8)
        The memory's read port (``read_data`` is the byte at last cycle's address).
    sending : In(1)
        The transmitter is in the middle of a frame (rewinds wait).
    sent : In(1)
        The frame on show has been sent.
    """

    def __init__(self, plan, slots: int):
        if slots < 1 or slots & (slots - 1) or slots > 64:
            raise ValueError(f"slots must be a power of two up to 64, got {slots}")
        self._plan, self._slots = plan, slots
        self._slot_bytes = slot_bytes(plan)
        outputs = plan.outputs
        widest = max(port.beat_bytes for port in outputs) * 8
        address = range(slots * self._slot_bytes)
        super().__init__({
            "results": In(stream.Signature(widest)).array(len(outputs)),
            "abort_units": In(len(plan.units)),
            "clear": In(1),
            "acknowledge": In(1), "acknowledged": In(SEQ_BITS),
            "rewind": In(1), "rewind_to": In(SEQ_BITS),
            "frame_ready": Out(1), "frame_seq": Out(SEQ_BITS), "frame_unit": Out(8),
            "frame_port": Out(8), "frame_length": Out(range(self._slot_bytes + 1)),
            "frame_base": Out(address),
            "read_address": In(address), "read_data": Out(8),
            "sending": In(1), "sent": In(1),
            "oldest": Out(SEQ_BITS),
        })

    def elaborate(self, platform):
        m = Module()
        plan, slots, size = self._plan, self._slots, self._slot_bytes
        outputs = plan.outputs
        m.submodules.memory = memory = Memory(shape=8, depth=slots * size, init=[])
        write = memory.write_port()
        read = memory.read_port()
        m.d.comb += [read.addr.eq(self.read_address), self.read_data.eq(read.data)]

        # sequence numbers: acked <= to_send <= written, at most `slots` apart
        written = Signal(SEQ_BITS)
        to_send = Signal(SEQ_BITS)
        acked = Signal(SEQ_BITS)
        slot_bits = (slots - 1).bit_length()

        def slot_of(seq):
            return seq[:slot_bits] if slot_bits else Const(0, 1)

        lengths = Array(Signal(range(size + 1), name=f"length{index}") for index in range(slots))
        units = Array(Signal(8, name=f"unit{index}") for index in range(slots))
        ports = Array(Signal(8, name=f"port{index}") for index in range(slots))
        voids = [Signal(name=f"void{index}") for index in range(slots)]
        for index in range(slots):
            with m.If(self.abort_units.bit_select(units[index], 1)):
                m.d.sync += voids[index].eq(1)
        shown = slot_of(to_send)
        m.d.comb += [
            self.oldest.eq(acked),
            self.frame_ready.eq(to_send != written),
            self.frame_seq.eq(to_send),
            self.frame_unit.eq(units[shown]), self.frame_port.eq(ports[shown]),
            self.frame_length.eq(Mux(Array(voids)[shown], 0, lengths[shown])),
            self.frame_base.eq(shown * size),
        ]
        with m.If(self.sent):
            m.d.sync += to_send.eq(to_send + 1)
        sent_span = (to_send - acked)[:SEQ_BITS]
        with m.If(self.acknowledge & ((self.acknowledged - acked)[:SEQ_BITS] <= sent_span)):
            m.d.sync += acked.eq(self.acknowledged)
        # a rewind waits for the frame on the line to end, then applies if still in range
        rewind_pending = Signal()
        rewind_to = Signal(SEQ_BITS)
        with m.If(self.rewind):
            m.d.sync += [rewind_pending.eq(1), rewind_to.eq(self.rewind_to)]
        with m.Elif(rewind_pending & ~self.sending & ~self.sent):
            m.d.sync += rewind_pending.eq(0)
            with m.If((rewind_to - acked)[:SEQ_BITS] <= sent_span):
                m.d.sync += [to_send.eq(rewind_to), acked.eq(rewind_to)]

        # the framer: one port's beats, a byte per cycle, into the slot of `written`
        chosen = Signal(range(len(outputs)))
        previous = Signal(range(len(outputs)))
        lane = Signal(range(max(port.beat_bytes for port in outputs)))
        offset = Signal(range(size + 1))
        beats = Signal(range(size + 1))
        result = Array(self.results)[chosen]
        beat_bytes = Array(Const(port.beat_bytes, 16) for port in outputs)[chosen]
        frame_beats = Array(Const(plan.frame_beats(port), 16) for port in outputs)[chosen]
        chosen_unit = Array(Const(port.unit, 8) for port in outputs)[chosen]
        chosen_port = Array(Const(port.port, 8) for port in outputs)[chosen]
        result_last = Array(port_stream.payload[port.last_offset]
                            for port_stream, port in zip(self.results, outputs))[chosen]
        room = (written - acked)[:SEQ_BITS] < slots

        waiting = Signal()
        next_port = Signal.like(chosen)
        with m.Switch(previous):
            for start in range(len(outputs)):
                with m.Case(start):
                    order = [(start + 1 + step) % len(outputs) for step in range(len(outputs))]
                    for number in reversed(order):
                        with m.If(self.results[number].valid):
                            m.d.comb += [next_port.eq(number), waiting.eq(1)]

        slot = slot_of(written)
        with m.FSM():
            with m.State("idle"):
                with m.If(waiting & room & ~self.clear):
                    m.d.sync += [chosen.eq(next_port), previous.eq(next_port), lane.eq(0),
                                 offset.eq(0), beats.eq(0)]
                    m.next = "copy"
            with m.State("copy"):
                with m.If(self.clear | self.abort_units.bit_select(chosen_unit, 1)):
                    m.next = "idle"              # the partial frame is dropped
                with m.Elif((lane == 0) & (beats != 0) & ~result.valid):
                    m.next = "close"             # no beat ready: no holding on
                with m.Elif(result.valid):
                    m.d.comb += [write.addr.eq(slot * size + offset), write.en.eq(1),
                                 write.data.eq(result.payload.word_select(lane, 8))]
                    m.d.sync += [offset.eq(offset + 1), lane.eq(lane + 1)]
                    with m.If(lane == beat_bytes - 1):
                        m.d.comb += result.ready.eq(1)
                        m.d.sync += [lane.eq(0), beats.eq(beats + 1)]
                        with m.If(result_last | (beats + 1 == frame_beats)):
                            m.next = "close"
            with m.State("close"):
                with m.If(~self.clear & ~self.abort_units.bit_select(chosen_unit, 1)):
                    m.d.sync += [lengths[slot].eq(offset), units[slot].eq(chosen_unit),
                                 ports[slot].eq(chosen_port), Array(voids)[slot].eq(0),
                                 written.eq(written + 1)]
                m.next = "idle"
        with m.If(self.clear):
            # everything stored is dropped; the numbering goes on
            m.d.sync += [acked.eq(written), to_send.eq(written), rewind_pending.eq(0)]
        return m
