"""The host link's frame format, written once for the gateware and the Python driver.

On the wire a frame is SLIP-encoded (RFC 1055) and ends with END; the host also sends
an END before each frame, so that garbage on the line ends up in a frame of its own and
is refused there. Inside the SLIP encoding a frame is a header, a body and a
CRC-16/CCITT-FALSE of header + body, most significant byte first (so that running the
CRC over the whole frame leaves zero).

Host to device, header of six bytes: type, sequence number, unit, port, body length
(little-endian 16 bits). Device to host, header of four bytes: type, sequence number,
unit, port; a device frame's length is the frame's own (results stream out as the units
produce them, before their count is known). Full description: docs/host_link.md.
"""

import enum

END, ESC, ESC_END, ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD
HOST_HEADER_BYTES = 6
DEVICE_HEADER_BYTES = 4
CRC_BYTES = 2
ALL_UNITS = 0xFF        # the unit of a RESET that resets every unit


class HostFrame(enum.IntEnum):
    """Frame types the host sends."""
    DATA = 0x01         # beats for (unit, port)
    IDENTIFY = 0x02     # answered by IDENTITY
    STATUS = 0x03       # answered by STATUS
    RESET = 0x04        # reset a unit (or ALL_UNITS), its buffered beats and results
    RESULT_ACK = 0x05   # the host has every RESULT frame before this sequence number
    RESEND = 0x06       # send the RESULT frames again from this sequence number


class DeviceFrame(enum.IntEnum):
    """Frame types the device sends."""
    ACK = 0x81          # a host frame was taken (its seq, unit, port); body: its type
    NAK = 0x82          # a host frame was refused; body: a NakReason, the expected seq
    RESULT = 0x83       # result beats of (unit, output port); its own sequence numbers
    IDENTITY = 0x84     # the body is the identity JSON (ASCII)
    STATUS = 0x85       # the body: see STATUS_COUNTERS, then one byte per input port
    BUSY = 0x86         # `accelgen serve` to a second client: another one is connected


class NakReason(enum.IntEnum):
    CRC = 1             # the CRC did not check (the header may be corrupted too)
    UNKNOWN_TARGET = 2  # no such unit or port
    BAD_LENGTH = 3      # length field and frame disagree, not whole beats, or too long
    NO_ROOM = 4         # more beats than the port's buffer has free (beyond the credits)
    SEQUENCE = 5        # not the next data frame in sequence (an earlier one was lost)
    UNKNOWN_TYPE = 6


# STATUS body: 16-bit little-endian counters in this order (they wrap; cycles, busy
# cycles (a unit had a beat to take or to give, and none waited for the link to take a
# result) and pending cycles (the same, waits included) are 32 bits), then the
# sequence number the next DATA frame must carry, the sequence number of the oldest
# RESULT frame not acknowledged, then per input port (in identity order) how many of its
# DATA frames the unit has consumed, modulo 256, then the units' status outputs.
STATUS_COUNTERS = ("frames_ok", "crc_errors", "framing_errors", "naks", "cycles_lo",
                   "cycles_hi", "busy_lo", "busy_hi", "pending_lo", "pending_hi")


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, no reflection)."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = (crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1
        crc &= 0xFFFF
    return crc


def _crc_table():
    return [crc16(bytes([byte]), 0) for byte in range(256)]


_TABLE = _crc_table()


def fast_crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """:func:`crc16` a byte at a time through a table (the driver's hot path)."""
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[(crc >> 8) ^ byte]
    return crc


def with_crc(frame: bytes) -> bytes:
    return frame + fast_crc16(frame).to_bytes(2, "big")


def slip_encode(frame: bytes) -> bytes:
    """END, the frame with END and ESC escaped, END."""
    body = frame.replace(bytes([ESC]), bytes([ESC, ESC_ESC])) \
                .replace(bytes([END]), bytes([ESC, ESC_END]))
    return bytes([END]) + body + bytes([END])


def host_frame(kind: HostFrame, seq: int, unit: int = 0, port: int = 0,
               body: bytes = b"") -> bytes:
    """A host frame as it goes on the wire."""
    header = bytes([kind, seq & 0xFF, unit, port]) + len(body).to_bytes(2, "little")
    return slip_encode(with_crc(header + body))


def device_frame(kind: DeviceFrame, seq: int, unit: int = 0, port: int = 0,
                 body: bytes = b"") -> bytes:
    """A device frame as it goes on the wire (the tests' and the server's model)."""
    return slip_encode(with_crc(bytes([kind, seq & 0xFF, unit, port]) + body))


class SlipDecoder:
    """Bytes in, frames out (each checked: CRC, escapes). Frames whose CRC fails or
    whose escapes are broken come out as ``None`` so the caller can count them."""

    def __init__(self):
        self._frame = bytearray()
        self._escaped = False
        self._broken = False

    def feed(self, data: bytes):
        for byte in data:
            if byte == END:
                # ESC END aborts a frame
                frame, broken = bytes(self._frame), self._broken or self._escaped
                self._frame.clear()
                self._escaped = self._broken = False
                if not frame and not broken:
                    continue
                if broken or len(frame) < CRC_BYTES + 1 or fast_crc16(frame) != 0:
                    yield None
                else:
                    yield frame[:-CRC_BYTES]
            elif self._escaped:
                self._escaped = False
                if byte == ESC_END:
                    self._frame.append(END)
                elif byte == ESC_ESC:
                    self._frame.append(ESC)
                else:
                    self._broken = True
            elif byte == ESC:
                self._escaped = True
            else:
                self._frame.append(byte)
