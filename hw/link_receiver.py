"""Host frames in: SLIP decoding, header, CRC, and the frame's fate decided at its end.

A DATA frame's body goes byte by byte into its port's FrameFIFO, uncommitted; at the
frame's END it is committed only if the CRC, the sequence number, the length and the
room all check, and rolled back otherwise. Every frame is answered through
``response`` (ACK, NAK with a reason, IDENTITY, STATUS). Byte format:
accelgen/link_protocol.py and docs/host_link.md.
"""

from amaranth.hdl import Array, Const, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.crc import catalog
from amaranth.lib.wiring import In, Out

from accelgen.link_protocol import (ALL_UNITS, CRC_BYTES, END, ESC, ESC_END, ESC_ESC,
                                    HOST_HEADER_BYTES, DeviceFrame, HostFrame, NakReason)

RESPONSE_LAYOUT = data.StructLayout({"type": 8, "seq": 8, "unit": 8, "port": 8,
                                     "reason": 8, "expected": 8})
COUNTER_BITS = 16


class LinkReceiver(wiring.Component):
    """Parameters: ``plan`` (accelgen.link_plan.LinkPlan).

    Members
    -------
    bytes_in : In(stream.Signature(8))
        The line, one byte per transfer (stalls only while ``response`` is full).
    target : Out
        Input port (plan order) that the FIFO write signals address.
    w_en, w_byte, w_lane, w_beat_done, commit, rollback : Out
        To the target's FrameFIFO (see hw/frame_fifo.py).
    free : In
        The target FIFO's free beats.
    response : Out(stream.Signature(RESPONSE_LAYOUT))
    reset_units : Out(units)
        A RESET frame's units, for one cycle.
    result_ack, resend : Out(1)
        A RESULT_ACK or RESEND frame, for one cycle; its sequence number on ``result_seq``.
    expected_seq, frames_ok, crc_errors, naks : Out
        For the STATUS frame.
    """

    def __init__(self, plan):
        self._plan = plan
        inputs = plan.inputs
        widest = max(port.beat_bytes for port in inputs)
        deepest = max(plan.fifo_depth(port) for port in inputs)
        super().__init__({
            "bytes_in": In(stream.Signature(8)),
            "target": Out(range(len(inputs))),
            "w_en": Out(1), "w_byte": Out(8), "w_lane": Out(range(widest)),
            "w_beat_done": Out(1), "commit": Out(1), "rollback": Out(1),
            "free": In(range(deepest + 1)),
            "response": Out(stream.Signature(RESPONSE_LAYOUT)),
            "reset_units": Out(len(plan.units)),
            "result_ack": Out(1), "resend": Out(1), "result_seq": Out(8),
            "expected_seq": Out(8),
            "frames_ok": Out(COUNTER_BITS), "crc_errors": Out(COUNTER_BITS),
            "naks": Out(COUNTER_BITS),
        })

    def elaborate(self, platform):
        m = Module()
        plan = self._plan
        inputs = plan.inputs
        byte = self.bytes_in.payload

        # SLIP: what this byte is
        escaped = Signal()     # the previous byte was ESC
        broken = Signal()      # an escape in this frame was invalid
        taken = self.bytes_in.valid & self.bytes_in.ready
        is_end = taken & (byte == END)
        decoded = Signal(8)
        is_data = Signal()
        with m.If(escaped):
            m.d.comb += [decoded.eq(ESC_END), is_data.eq(taken & ~is_end)]
            with m.If(byte == ESC_END):
                m.d.comb += decoded.eq(END)
            with m.Elif(byte == ESC_ESC):
                m.d.comb += decoded.eq(ESC)
            with m.Else():
                m.d.comb += is_data.eq(0)
        with m.Else():
            m.d.comb += [decoded.eq(byte), is_data.eq(taken & (byte != END) & (byte != ESC))]
        with m.If(taken):
            m.d.sync += escaped.eq(~escaped & (byte == ESC))
            with m.If(escaped & (byte != ESC_END) & (byte != ESC_ESC)):
                m.d.sync += broken.eq(1)

        # the frame so far
        index = Signal(16)     # data bytes received in this frame (saturates)
        kind = Signal(8)
        seq = Signal(8)
        unit = Signal(8)
        port = Signal(8)
        length = Signal(16)
        target_ok = Signal()
        error = Signal(8)      # the first NakReason found in the body, or 0
        lane = Signal.like(self.w_lane)
        body_index = Signal(16)

        m.submodules.crc = crc = catalog.CRC16_CCITT_FALSE(data_width=8).create()
        m.d.comb += [crc.data.eq(decoded), crc.valid.eq(is_data), crc.start.eq(index == 0)]

        with m.If(is_data & (index != 0xFFFF)):
            m.d.sync += index.eq(index + 1)
        fields = {0: kind, 1: seq, 2: unit, 3: port}
        for position, field in fields.items():
            with m.If(is_data & (index == position)):
                m.d.sync += field.eq(decoded)

        # the target input port, from (unit, port) as the port byte arrives
        beat_bytes = Array(Const(p.beat_bytes, 16) for p in inputs)
        frame_limit = Array(Const(plan.frame_beats(p) * p.beat_bytes, 16) for p in inputs)
        with m.If(is_data & (index == 3)):
            m.d.sync += target_ok.eq(0)
            for number, p in enumerate(inputs):
                with m.If((unit == p.unit) & (decoded == p.port)):
                    m.d.sync += [self.target.eq(number), target_ok.eq(1)]
        with m.If(is_data & (index == 4)):
            m.d.sync += length[:8].eq(decoded)
        with m.If(is_data & (index == 5)):
            m.d.sync += length[8:].eq(decoded)

        # the body of a DATA frame: written, uncommitted, while nothing is wrong
        duplicate_distance = Signal(8)
        m.d.comb += duplicate_distance.eq(self.expected_seq - seq)
        in_sequence = seq == self.expected_seq
        writing = Signal()
        m.d.comb += writing.eq((kind == HostFrame.DATA) & target_ok & in_sequence &
                               (error == 0))
        in_body = is_data & (index >= HOST_HEADER_BYTES) & (body_index < length)
        with m.If(is_data & (index == HOST_HEADER_BYTES - 1)):
            full_length = decoded.as_unsigned() << 8 | length[:8]
            with m.If((kind == HostFrame.DATA) & target_ok &
                      ((full_length == 0) | (full_length > frame_limit[self.target]))):
                m.d.sync += error.eq(NakReason.BAD_LENGTH)
        with m.If(in_body):
            m.d.sync += body_index.eq(body_index + 1)
        last_lane = lane == beat_bytes[self.target] - 1
        with m.If(in_body & writing):
            with m.If((lane == 0) & (self.free == 0)):
                m.d.sync += error.eq(NakReason.NO_ROOM)
            with m.Else():
                m.d.comb += [self.w_en.eq(1), self.w_byte.eq(decoded),
                             self.w_lane.eq(lane), self.w_beat_done.eq(last_lane)]
                m.d.sync += lane.eq(lane + 1)
                with m.If(last_lane):
                    m.d.sync += lane.eq(0)

        # the frame's END: its fate, and an answer (decided while END waits, carried
        # out when the answer is taken)
        answer = self.response.payload
        m.d.comb += [answer.seq.eq(seq), answer.unit.eq(unit), answer.port.eq(port),
                     answer.expected.eq(self.expected_seq)]
        nonempty = (index != 0) | broken | escaped
        at_end = self.bytes_in.valid & (byte == END) & nonempty
        fire = Signal()
        m.d.comb += [self.response.valid.eq(at_end),
                     fire.eq(at_end & self.response.ready),
                     self.bytes_in.ready.eq(~at_end | self.response.ready)]
        body_ok = (body_index == length) & (index == HOST_HEADER_BYTES + length + CRC_BYTES) \
            & (lane == 0)

        m.d.comb += self.result_seq.eq(seq)

        def answer_with(kind_of_answer, counter=None):
            # an ACK says which kind of frame it acknowledges
            m.d.comb += [answer.type.eq(kind_of_answer), answer.reason.eq(kind)]
            if counter is not None:
                with m.If(fire):
                    m.d.sync += counter.eq(counter + 1)

        def nak(reason):
            answer_with(DeviceFrame.NAK, self.naks)
            m.d.comb += answer.reason.eq(reason)

        with m.If(fire):
            m.d.sync += [index.eq(0), body_index.eq(0), lane.eq(0), error.eq(0),
                         broken.eq(0), target_ok.eq(0)]
        with m.If(at_end):
            with m.If(broken | escaped | (index < HOST_HEADER_BYTES + CRC_BYTES) |
                      ~crc.match_detected):
                nak(NakReason.CRC)
                with m.If(fire):
                    m.d.sync += self.crc_errors.eq(self.crc_errors + 1)
            with m.Elif(kind == HostFrame.DATA):
                with m.If(~target_ok):
                    nak(NakReason.UNKNOWN_TARGET)
                with m.Elif(~in_sequence & (duplicate_distance != 0) &
                            (duplicate_distance <= 128)):
                    # a retransmission of a frame already taken: answer, do not deliver
                    answer_with(DeviceFrame.ACK)
                with m.Elif(~in_sequence):
                    nak(NakReason.SEQUENCE)
                with m.Elif(error != 0):
                    nak(error)
                with m.Elif(~body_ok):
                    nak(NakReason.BAD_LENGTH)
                with m.Else():
                    answer_with(DeviceFrame.ACK, self.frames_ok)
                    m.d.comb += self.commit.eq(fire)
                    with m.If(fire):
                        m.d.sync += self.expected_seq.eq(self.expected_seq + 1)
            with m.Elif(kind == HostFrame.IDENTIFY):
                answer_with(DeviceFrame.IDENTITY, self.frames_ok)
            with m.Elif(kind == HostFrame.STATUS):
                answer_with(DeviceFrame.STATUS, self.frames_ok)
            with m.Elif(kind == HostFrame.RESULT_ACK):
                answer_with(DeviceFrame.ACK, self.frames_ok)
                m.d.comb += self.result_ack.eq(fire)
            with m.Elif(kind == HostFrame.RESEND):
                answer_with(DeviceFrame.ACK, self.frames_ok)
                m.d.comb += self.resend.eq(fire)
            with m.Elif((kind == HostFrame.RESET) & (unit == ALL_UNITS)):
                answer_with(DeviceFrame.ACK, self.frames_ok)
                m.d.comb += self.reset_units.eq(Mux(fire, ~0, 0))
            with m.Elif((kind == HostFrame.RESET) & (unit < len(plan.units))):
                answer_with(DeviceFrame.ACK, self.frames_ok)
                m.d.comb += self.reset_units.eq(Mux(fire, 1 << unit[:8], 0))
            with m.Elif(kind == HostFrame.RESET):
                nak(NakReason.UNKNOWN_TARGET)
            with m.Else():
                nak(NakReason.UNKNOWN_TYPE)
        # whatever a frame wrote is forgotten unless it was committed (CRC failures too)
        m.d.comb += self.rollback.eq(fire & ~self.commit)
        with m.If(self.bytes_in.valid & (byte == END) & ~nonempty):
            m.d.sync += broken.eq(0)
        return m
