"""The host end of the link: frames over a pyserial port, with the device's credits
respected, DATA frames retransmitted until acknowledged (go-back-N on a NAK or a
timeout; the device re-acknowledges a duplicate without delivering it), and the
device's results sorted per port.
"""

import json
import time
from collections import deque
from dataclasses import dataclass, field

from accelgen.errors import AccelgenError
from accelgen.link_protocol import (ALL_UNITS, DEVICE_HEADER_BYTES, STATUS_COUNTERS,
                                    DeviceFrame, HostFrame, NakReason, SlipDecoder,
                                    host_frame)


class HostError(AccelgenError):
    """The device is absent, silent, refuses the request, or is not the one expected."""


@dataclass
class LinkCounters:
    """What the host saw: for the fault tests and the benchmarks."""
    frames_sent: int = 0
    retransmissions: int = 0
    bad_frames: int = 0          # device frames that failed their CRC or escapes
    naks: dict = field(default_factory=dict)
    stray_answers: int = 0       # answers to frames this host did not send (or no longer waits on)
    results_missed: int = 0      # RESULT frames that arrived after a gap (one was lost)
    results_repeated: int = 0    # RESULT frames sent again that had arrived before
    resend_requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    payload_bytes_sent: int = 0
    payload_bytes_received: int = 0
    result_frames: int = 0


@dataclass
class _Pending:
    seq: int
    wire: bytes
    port: int          # input port (plan order)


class Link:
    """Talks to one device over ``port`` (a pyserial object: ``serial_for_url``)."""

    #: how long an unanswered request or DATA frame waits before it is sent again
    RETRY_SECONDS = 0.5
    #: how often a request is sent before the device counts as silent
    ATTEMPTS = 6
    #: RESULT frames taken before the host acknowledges them (the device keeps them
    #: until then, in result_slots slots)
    ACK_EVERY = 2

    def __init__(self, port, plan=None):
        self._port = port
        self._decoder = SlipDecoder()
        self.plan = plan
        self.counters = LinkCounters()
        self._seq = 0                      # sequence number of the next DATA frame
        self._control_seq = 0
        self._unacked: deque[_Pending] = deque()
        self._outbox: dict[int, deque] = {}    # input port -> bodies not yet sent
        self._last_progress = time.monotonic()
        self._goback_from = None           # seq of the last go-back, until progress
        self._delivered = {}               # input port -> DATA frames acked (mod 256)
        self._consumed = {}                # input port -> frames the unit took (mod 256)
        self._results = {}                 # (unit, port) -> bytearray of result beats
        self._result_seq = 0               # the next RESULT frame's sequence number
        self._result_progress = time.monotonic()
        self._asked_again = False
        self._unacknowledged_results = 0
        self._answers = deque()

    # -- bytes ---------------------------------------------------------------------

    def _write(self, wire: bytes) -> None:
        try:
            self._port.write(wire)
        except Exception as error:      # pyserial raises several types for a lost link
            raise HostError(f"link: cannot write to the device ({error})") from None
        self.counters.bytes_sent += len(wire)

    def _read(self, wait: bool = True) -> None:
        """Take what the device sent (waiting at most the port's timeout if ``wait``)."""
        try:
            waiting = self._port.in_waiting
            if not waiting and not wait:
                return
            data = self._port.read(max(1, waiting))
        except Exception as error:
            raise HostError(f"link: cannot read from the device ({error})") from None
        self.counters.bytes_received += len(data)
        for frame in self._decoder.feed(data):
            if frame is None or len(frame) < DEVICE_HEADER_BYTES:
                self.counters.bad_frames += 1
            else:
                self._dispatch(frame)

    def _dispatch(self, frame: bytes) -> None:
        kind, seq, unit, port = frame[:DEVICE_HEADER_BYTES]
        body = frame[DEVICE_HEADER_BYTES:]
        if kind == DeviceFrame.RESULT:
            self._on_result(seq, unit, port, body)
        elif kind == DeviceFrame.ACK and body == bytes([HostFrame.DATA]):
            if self._in_window(seq):
                self._acknowledge_through(seq)
            else:
                self.counters.stray_answers += 1
        elif kind == DeviceFrame.ACK and body in (bytes([HostFrame.RESULT_ACK]),
                                                  bytes([HostFrame.RESEND])):
            pass
        elif kind == DeviceFrame.NAK and len(body) == 2:
            reason, expected = body
            self.counters.naks[NakReason(reason).name] = \
                self.counters.naks.get(NakReason(reason).name, 0) + 1
            self._on_nak(seq, reason, expected)
        elif kind == DeviceFrame.BUSY:
            raise HostError(f"link: {body.decode(errors='replace')}")
        else:
            self._answers.append(frame)

    # -- DATA frames -----------------------------------------------------------------

    def _in_window(self, seq: int) -> bool:
        return any(pending.seq == seq for pending in self._unacked)

    def _acknowledge_through(self, seq: int) -> None:
        # the device takes DATA frames in order: an ACK covers every earlier frame
        while self._unacked:
            pending = self._unacked.popleft()
            self._delivered[pending.port] = (self._delivered.get(pending.port, 0) + 1) % 256
            if pending.seq == seq:
                break
        self._last_progress = time.monotonic()
        self._goback_from = None

    def _on_nak(self, seq: int, reason: int, expected: int) -> None:
        if reason in (NakReason.SEQUENCE, NakReason.CRC, NakReason.BAD_LENGTH):
            # frames before `expected` were taken; resend from there, once per loss
            # (the frames already on their way will be refused the same way)
            while self._unacked and (expected - self._unacked[0].seq) % 256 in range(1, 129):
                self._acknowledge_through(self._unacked[0].seq)
            if self._unacked and self._unacked[0].seq == expected and \
                    self._goback_from != expected:
                self._goback_from = expected
                self._resend_all()
            return
        if not self._in_window(seq):
            self.counters.stray_answers += 1
            return
        # an intact frame of ours refused for what it is: a bug here, or the wrong device
        raise HostError(f"link: the device refused DATA frame {seq}: "
                        f"{NakReason(reason).name.lower().replace('_', ' ')}")

    def _resend_all(self) -> None:
        for pending in self._unacked:
            self._write(pending.wire)
            self.counters.retransmissions += 1
        self._last_progress = time.monotonic()

    def _room(self, port: int) -> bool:
        in_flight = sum(1 for pending in self._unacked if pending.port == port)
        buffered = (self._delivered.get(port, 0) - self._consumed.get(port, 0)) % 256
        return in_flight + buffered < self.plan.credits

    def send(self, port: int, body: bytes) -> None:
        """Queue a DATA frame for input port ``port`` (plan order); it goes out as the
        port's credits allow (:meth:`pump`)."""
        self._outbox.setdefault(port, deque()).append(body)
        self.pump()

    def _queued(self) -> bool:
        return any(self._outbox.values())

    def pump(self) -> None:
        """Send what the credits allow, read what arrived, resend on a timeout."""
        self._read(wait=not self._queued())
        # each port on its own: a unit may need one port's beats to take another's
        blocked = set()
        asked_status = False
        while True:
            ready = [port for port, queue in self._outbox.items()
                     if queue and port not in blocked]
            if not ready:
                break
            port = ready[0]
            if not self._room(port):
                if asked_status:
                    blocked.add(port)
                else:
                    self._refresh_credits()
                    asked_status = True
                continue
            body = self._outbox[port].popleft()
            target = self.plan.inputs[port]
            wire = host_frame(HostFrame.DATA, self._seq, target.unit, target.port, body)
            self._unacked.append(_Pending(self._seq, wire, port))
            if len(self._unacked) == 1:
                self._last_progress = time.monotonic()
            self._seq = (self._seq + 1) % 256
            self._write(wire)
            self.counters.frames_sent += 1
            self.counters.payload_bytes_sent += len(body)
        if self._unacked and time.monotonic() - self._last_progress > self.RETRY_SECONDS:
            self._goback_from = None
            self._resend_all()

    def flush(self, timeout: float) -> None:
        """Wait until every queued DATA frame has been acknowledged."""
        deadline = time.monotonic() + timeout
        while self._queued() or self._unacked:
            if time.monotonic() > deadline:
                raise HostError(f"link: the device did not take the data within {timeout} s")
            self.pump()

    def _refresh_credits(self) -> None:
        counters = self.status()
        for port, consumed in enumerate(counters["consumed"]):
            self._consumed[port] = consumed

    # -- results -----------------------------------------------------------------------

    def _on_result(self, seq: int, unit: int, port: int, body: bytes) -> None:
        """Take the next RESULT frame in sequence; a gap asks for the rest again (the
        device keeps what it sent until acknowledged), a repeat is dropped."""
        distance = (seq - self._result_seq) % 256
        if distance != 0:
            if distance < 128:
                self.counters.results_missed += 1
                self._ask_again()
            else:
                self.counters.results_repeated += 1
            return
        self._result_seq = (seq + 1) % 256
        self._results.setdefault((unit, port), bytearray()).extend(body)
        self.counters.payload_bytes_received += len(body)
        self.counters.result_frames += 1
        self._result_progress = time.monotonic()
        self._asked_again = False
        self._unacknowledged_results += 1
        if self._unacknowledged_results >= min(self.ACK_EVERY, self.plan.result_slots):
            self._write(host_frame(HostFrame.RESULT_ACK, self._result_seq))
            self._unacknowledged_results = 0

    def _ask_again(self) -> None:
        """RESEND from the first frame missing (once until one arrives, or a timeout);
        it also acknowledges everything before it."""
        if not self._asked_again:
            self._write(host_frame(HostFrame.RESEND, self._result_seq))
            self.counters.resend_requests += 1
            self._asked_again = True
            self._unacknowledged_results = 0
            self._result_progress = time.monotonic()

    def take_results(self, unit: int, port: int, count: int, beat_bytes: int,
                     timeout: float) -> list[int]:
        """``count`` result beats of (unit, output port) as integers."""
        return self._take(unit, port, beat_bytes, timeout, f"{count} result beats",
                          lambda words: count if len(words) >= count else None)

    def take_group(self, unit: int, port: int, beat_bytes: int, last_offset: int,
                   timeout: float) -> list[int]:
        """The result beats of (unit, output port) up to the next with ``last`` set."""
        def through_last(words):
            for index, word in enumerate(words):
                if word >> last_offset & 1:
                    return index + 1
            return None
        return self._take(unit, port, beat_bytes, timeout, "a last-terminated group",
                          through_last)

    def _take(self, unit, port, beat_bytes, timeout, what, enough) -> list[int]:
        deadline = time.monotonic() + timeout
        key = (unit, port)
        while True:
            data = self._results.setdefault(key, bytearray())
            words = [int.from_bytes(data[index:index + beat_bytes], "little")
                     for index in range(0, len(data) - beat_bytes + 1, beat_bytes)]
            count = enough(words)
            if count is not None:
                del data[:count * beat_bytes]
                return words[:count]
            if time.monotonic() - self._result_progress > self.RETRY_SECONDS:
                # nothing for a while: the frame we wait for may have been corrupted
                self._asked_again = False
                self._ask_again()
            if time.monotonic() > deadline:
                raise HostError(f"link: waited {timeout} s for {what}; {len(words)} beats "
                                "arrived")
            self.pump()

    # -- requests ----------------------------------------------------------------------

    def _request(self, kind: HostFrame, answer: DeviceFrame, unit: int = 0) -> bytes:
        for _ in range(self.ATTEMPTS):
            self._control_seq = (self._control_seq + 1) % 256
            seq = self._control_seq
            self._write(host_frame(kind, seq, unit))
            deadline = time.monotonic() + self.RETRY_SECONDS
            while time.monotonic() < deadline:
                self._read()
                while self._answers:
                    frame = self._answers.popleft()
                    if frame[0] == answer and frame[1] == seq:
                        return frame[DEVICE_HEADER_BYTES:]
                    self.counters.stray_answers += 1
        raise HostError(f"link: no answer from the device to {kind.name} after "
                        f"{self.ATTEMPTS} attempts ({self.ATTEMPTS * self.RETRY_SECONDS:.0f} s); "
                        "is it connected, programmed with an accelgen system, and at this baud?")

    def identify(self) -> dict:
        body = self._request(HostFrame.IDENTIFY, DeviceFrame.IDENTITY)
        try:
            return json.loads(body.decode())
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise HostError("link: the device's identity is not accelgen's") from None

    def status(self) -> dict:
        body = self._request(HostFrame.STATUS, DeviceFrame.STATUS)
        values = {name: int.from_bytes(body[2 * index:2 * index + 2], "little")
                  for index, name in enumerate(STATUS_COUNTERS)}
        values["cycles"] = values.pop("cycles_lo") | values.pop("cycles_hi") << 16
        values["busy_cycles"] = values.pop("busy_lo") | values.pop("busy_hi") << 16
        values["pending_cycles"] = values.pop("pending_lo") | values.pop("pending_hi") << 16
        after = 2 * len(STATUS_COUNTERS)
        values["expected_seq"] = body[after]
        values["oldest_result"] = body[after + 1]
        ports = len(self.plan.inputs) if self.plan is not None else len(body) - after - 2
        values["consumed"] = list(body[after + 2:after + 2 + ports])
        position = after + 2 + ports
        values["units"] = {}
        for unit in self.plan.units if self.plan is not None else ():
            if unit.status_bits:
                values["units"][unit.name] = int.from_bytes(
                    body[position:position + unit.status_bytes], "little")
                position += unit.status_bytes
        return values

    def reset(self, unit: int = ALL_UNITS, timeout: float = 10.0) -> None:
        """Reset a unit (or all): its buffered beats and its results in flight go too."""
        self.flush(timeout)
        self._request(HostFrame.RESET, DeviceFrame.ACK, unit)
        self._resynchronize(unit)

    def _resynchronize(self, unit: int = ALL_UNITS) -> None:
        """Take the device's view after a reset of ``unit``: the next sequence number,
        the unit's credits all free, none of its results pending (a result frame the
        reset cut short arrives broken and is counted as bad)."""
        counters = self.status()
        self._seq = counters["expected_seq"]
        for port, target in enumerate(self.plan.inputs):
            if unit in (ALL_UNITS, target.unit):
                self._consumed[port] = self._delivered[port] = counters["consumed"][port]
        for key in list(self._results):
            if unit in (ALL_UNITS, key[0]):
                del self._results[key]
        if unit == ALL_UNITS:
            # the device dropped every result frame it held
            self._result_seq = counters["oldest_result"]
            self._unacknowledged_results = 0
