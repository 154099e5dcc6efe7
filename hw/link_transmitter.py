"""Device frames out: answers to host frames first (they are short and the host waits
on them), then the result frames the ResultStore holds, each with a CRC, SLIP-encoded.
A result frame cut by a reset of every unit is aborted on the line (ESC END)."""

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.crc import catalog
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from accelgen.link_protocol import DEVICE_HEADER_BYTES, DeviceFrame

from .link_receiver import RESPONSE_LAYOUT
from .slip_encoder import Marker, SlipEncoder


class LinkTransmitter(wiring.Component):
    """Parameters: ``plan`` (accelgen.link_plan.LinkPlan), ``status_bytes``, ``store``
    (the ResultStore's signature members it reads, flipped).

    Members
    -------
    response : In(stream.Signature(RESPONSE_LAYOUT))
    status : In(status_bytes * 8)
        The STATUS body, byte 0 in the low bits.
    abort : In(1)
        Every unit is being reset: a result frame in progress is aborted.
    store_* : the ResultStore's frame on show and its read port.
    line : Out(stream.Signature(8))
    """

    def __init__(self, plan, status_bytes: int, address_bits: int, length_bits: int):
        self._plan = plan
        self._status_bytes = status_bytes
        super().__init__({
            "response": In(stream.Signature(RESPONSE_LAYOUT)),
            "status": In(status_bytes * 8),
            "abort": In(1),
            "frame_ready": In(1), "frame_seq": In(8), "frame_unit": In(8),
            "frame_port": In(8), "frame_length": In(length_bits),
            "frame_base": In(address_bits),
            "read_address": Out(address_bits), "read_data": In(8),
            "sending": Out(1), "sent": Out(1),
            "line": Out(stream.Signature(8)),
        })

    def elaborate(self, platform):
        m = Module()
        identity = self._plan.identity_bytes()

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
        length = Signal.like(self.frame_length)
        base = Signal.like(self.frame_base)

        # the ROM and the store's memory: the address of the byte on show next cycle
        upcoming = Mux(sent, position + 1, position) - DEVICE_HEADER_BYTES
        m.d.comb += [identity_read.addr.eq(upcoming),
                     self.read_address.eq(base + upcoming)]
        # STATUS reports one instant: the counters as the answer starts
        status = Signal.like(self.status)
        status_byte = Array(status.word_select(index, 8) for index in range(self._status_bytes))

        def header_bytes():
            m.d.comb += [symbol.valid.eq(1), crc.valid.eq(sent), crc.start.eq(position == 0),
                         symbol.payload.byte.eq(Array(header.word_select(index, 8)
                                                      for index in range(DEVICE_HEADER_BYTES))
                                                [position[:2]])]

        def body_byte(byte):
            m.d.comb += [symbol.valid.eq(1), crc.valid.eq(sent), symbol.payload.byte.eq(byte)]

        def advance():
            with m.If(sent):
                m.d.sync += position.eq(position + 1)

        with m.FSM():
            with m.State("idle"):
                m.d.sync += position.eq(0)
                with m.If(self.response.valid):
                    answer = self.response.payload
                    m.d.comb += self.response.ready.eq(1)
                    m.d.sync += [header.eq(Cat(answer.type, answer.seq, answer.unit,
                                               answer.port)),
                                 reason.eq(answer.reason), expected.eq(answer.expected),
                                 status.eq(self.status)]
                    m.next = "answer"
                with m.Elif(self.frame_ready & ~self.abort):
                    m.d.sync += [header.eq(Cat(Const(DeviceFrame.RESULT, 8), self.frame_seq,
                                               self.frame_unit, self.frame_port)),
                                 length.eq(self.frame_length), base.eq(self.frame_base)]
                    m.next = "result"
            with m.State("answer"):
                kind = header[:8]
                body_bytes = Signal(16)
                with m.Switch(kind):
                    with m.Case(DeviceFrame.ACK):
                        m.d.comb += body_bytes.eq(1)
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
                    with m.Switch(kind):
                        with m.Case(DeviceFrame.ACK):
                            body_byte(reason)
                        with m.Case(DeviceFrame.NAK):
                            body_byte(Mux(body_index == 0, reason, expected))
                        with m.Case(DeviceFrame.IDENTITY):
                            body_byte(identity_read.data)
                        with m.Case(DeviceFrame.STATUS):
                            body_byte(status_byte[body_index])
                with m.Else():
                    m.next = "crc_high"
                advance()
            with m.State("result"):
                m.d.comb += self.sending.eq(1)
                with m.If(self.abort):
                    m.next = "abort"
                with m.Elif(position < DEVICE_HEADER_BYTES):
                    header_bytes()
                    advance()
                with m.Elif(position < DEVICE_HEADER_BYTES + length):
                    body_byte(self.read_data)
                    advance()
                with m.Else():
                    m.d.comb += self.sent.eq(1)
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
