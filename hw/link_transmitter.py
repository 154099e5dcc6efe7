"""Device frames out: answers to host frames, and the units' results framed per
``last``-terminated group (or per ``frame_bytes`` of beats, or as far as the unit has
beats ready), with a CRC, SLIP-encoded.

Answers go first (they are short and the host waits on them); results are taken from
the output ports round-robin, a whole frame at a time, so that no unit starves another.
A result frame whose unit is reset halfway is aborted on the line.
"""

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.crc import catalog
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from accelgen.link_protocol import DEVICE_HEADER_BYTES, DeviceFrame

from .link_receiver import RESPONSE_LAYOUT
from .slip_encoder import Marker, SlipEncoder


class LinkTransmitter(wiring.Component):
    """Parameters: ``plan`` (accelgen.link_plan.LinkPlan), ``status_bytes``.

    Members
    -------
    response : In(stream.Signature(RESPONSE_LAYOUT))
    results : In(stream.Signature(widest result beat)) per output port (plan order)
        Each port's beats, its payload in the low bits.
    status : In(status_bytes * 8)
        The STATUS body, byte 0 in the low bits.
    abort_units : In(units)
        Units being reset: a result frame of theirs in progress is aborted.
    line : Out(stream.Signature(8))
    """

    def __init__(self, plan, status_bytes: int):
        self._plan = plan
        self._status_bytes = status_bytes
        outputs = plan.outputs
        widest = max(port.beat_bytes for port in outputs) * 8
        super().__init__({
            "response": In(stream.Signature(RESPONSE_LAYOUT)),
            "results": In(stream.Signature(widest)).array(len(outputs)),
            "status": In(status_bytes * 8),
            "abort_units": In(len(plan.units)),
            "line": Out(stream.Signature(8)),
        })

    def elaborate(self, platform):
        m = Module()
        plan = self._plan
        outputs = plan.outputs
        identity = plan.identity_bytes()

        m.submodules.slip = slip = SlipEncoder()
        wiring.connect(m, slip.line, wiring.flipped(self.line))
        symbol = slip.symbols
        sent = symbol.valid & symbol.ready

        m.submodules.crc = crc = catalog.CRC16_CCITT_FALSE(data_width=8).create()
        m.d.comb += [crc.data.eq(symbol.payload.byte)]

        m.submodules.identity = rom = Memory(shape=8, depth=len(identity), init=identity)
        identity_read = rom.read_port()

        # the frame being sent
        header = Signal(DEVICE_HEADER_BYTES * 8)
        reason = Signal(8)
        expected = Signal(8)
        position = Signal(16)         # byte of the header, then of the body
        chosen = Signal(range(len(outputs)))
        previous = Signal(range(len(outputs)))
        beats = Signal(range(max(plan.frame_bytes, 1) + 1))
        result_seq = Signal(8)
        lane = Signal(16)             # byte of the result beat
        chosen_unit = Array(Const(port.unit, 8) for port in outputs)[chosen]
        beat_bytes = Array(Const(port.beat_bytes, 16) for port in outputs)[chosen]
        frame_beats = Array(Const(max(1, plan.frame_bytes // port.beat_bytes), 16)
                            for port in outputs)[chosen]
        result = Array(self.results)[chosen]
        result_last = Array(port_stream.payload[port.last_offset]
                            for port_stream, port in zip(self.results, outputs))[chosen]

        # round robin: the first port with a beat after the one served last
        waiting = Signal()
        next_port = Signal.like(chosen)
        with m.Switch(previous):
            for start in range(len(outputs)):
                with m.Case(start):
                    order = [(start + 1 + step) % len(outputs) for step in range(len(outputs))]
                    for number in reversed(order):
                        with m.If(self.results[number].valid):
                            m.d.comb += [next_port.eq(number), waiting.eq(1)]

        # identity ROM: the address of the byte on show next cycle
        m.d.comb += identity_read.addr.eq(Mux(sent, position + 1, position)
                                          - DEVICE_HEADER_BYTES)
        # STATUS reports one instant: the counters as the answer starts
        status = Signal.like(self.status)
        status_byte = Array(status.word_select(index, 8) for index in range(self._status_bytes))

        def header_bytes():
            m.d.comb += [symbol.valid.eq(1), crc.valid.eq(sent), crc.start.eq(position == 0),
                         symbol.payload.byte.eq(Array(header.word_select(index, 8)
                                                      for index in range(DEVICE_HEADER_BYTES))
                                                [position[:2]])]

        def advance():
            with m.If(sent):
                m.d.sync += position.eq(position + 1)

        with m.FSM():
            with m.State("idle"):
                m.d.sync += [position.eq(0), lane.eq(0)]
                with m.If(self.response.valid):
                    answer = self.response.payload
                    m.d.comb += self.response.ready.eq(1)
                    m.d.sync += [header.eq(Cat(answer.type, answer.seq, answer.unit,
                                               answer.port)),
                                 reason.eq(answer.reason), expected.eq(answer.expected),
                                 status.eq(self.status)]
                    m.next = "answer"
                with m.Elif(waiting):
                    port_number = Array(Const(port.port, 8) for port in outputs)[next_port]
                    unit_number = Array(Const(port.unit, 8) for port in outputs)[next_port]
                    m.d.sync += [chosen.eq(next_port), previous.eq(next_port), beats.eq(0),
                                 header.eq(Cat(Const(DeviceFrame.RESULT, 8), result_seq,
                                               unit_number, port_number)),
                                 result_seq.eq(result_seq + 1)]
                    m.next = "result"
            with m.State("answer"):
                kind = header[:8]
                body_bytes = Signal(16)
                with m.Switch(kind):
                    with m.Case(DeviceFrame.NAK):
                        m.d.comb += body_bytes.eq(2)
                    with m.Case(DeviceFrame.IDENTITY):
                        m.d.comb += body_bytes.eq(len(identity))
                    with m.Case(DeviceFrame.STATUS):
                        m.d.comb += body_bytes.eq(self._status_bytes)
                with m.If(position < DEVICE_HEADER_BYTES):
                    header_bytes()
                with m.Elif(position < DEVICE_HEADER_BYTES + body_bytes):
                    body_index = position - DEVICE_HEADER_BYTES
                    m.d.comb += [symbol.valid.eq(1), crc.valid.eq(sent)]
                    with m.Switch(kind):
                        with m.Case(DeviceFrame.NAK):
                            m.d.comb += symbol.payload.byte.eq(Mux(body_index == 0, reason,
                                                                   expected))
                        with m.Case(DeviceFrame.IDENTITY):
                            m.d.comb += symbol.payload.byte.eq(identity_read.data)
                        with m.Case(DeviceFrame.STATUS):
                            m.d.comb += symbol.payload.byte.eq(status_byte[body_index])
                with m.Else():
                    m.next = "crc_high"
                advance()
            with m.State("result"):
                with m.If(self.abort_units.bit_select(chosen_unit, 1)):
                    m.next = "abort"
                with m.Elif(position < DEVICE_HEADER_BYTES):
                    header_bytes()
                    advance()
                with m.Elif((lane == 0) & (beats != 0) & ~result.valid):
                    # the unit has no beat ready: close the frame rather than hold the
                    # line (the host's answers, and the credits the unit may be waiting
                    # for, would queue behind it)
                    m.next = "crc_high"
                with m.Else():
                    # byte `lane` of the chosen port's beat; the beat is taken with its
                    # last byte
                    m.d.comb += [symbol.valid.eq(result.valid), crc.valid.eq(sent),
                                 symbol.payload.byte.eq(
                                     result.payload.word_select(lane, 8))]
                    with m.If(sent):
                        m.d.sync += lane.eq(lane + 1)
                        with m.If(lane == beat_bytes - 1):
                            m.d.comb += result.ready.eq(1)
                            m.d.sync += [lane.eq(0), beats.eq(beats + 1)]
                            with m.If(result_last | (beats + 1 == frame_beats)):
                                m.next = "crc_high"
            with m.State("crc_high"):
                m.d.comb += [symbol.valid.eq(1), symbol.payload.byte.eq(crc.crc[8:])]
                with m.If(sent):
                    m.next = "crc_low"
            with m.State("crc_low"):
                m.d.comb += [symbol.valid.eq(1), symbol.payload.byte.eq(crc.crc[:8])]
                with m.If(sent):
                    m.next = "end"
            with m.State("end"):
                m.d.comb += [symbol.valid.eq(1), symbol.payload.marker.eq(Marker.END)]
                with m.If(sent):
                    m.next = "idle"
            with m.State("abort"):
                m.d.comb += [symbol.valid.eq(1), symbol.payload.marker.eq(Marker.ABORT)]
                with m.If(sent):
                    m.next = "idle"
        return m
