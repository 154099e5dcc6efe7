"""A transport that damages what the host sends, for the link's fault tests: every way
a serial line or a confused host can mangle frames, counted."""

from collections import Counter

import numpy as np

from accelgen.link_protocol import HostFrame, host_frame

FAULTS = ("flip_bit", "drop_byte", "duplicate_byte", "truncate", "garbage_before",
          "duplicate_frame", "oversize_frame", "unknown_unit", "unknown_port",
          "unknown_type", "stale_burst")
# on the way back: what a noisy line does to the device's bytes
READ_FAULTS = ("read_flip_bit", "read_drop_byte", "read_duplicate_byte", "read_garbage")


class FaultyPort:
    """Wraps a pyserial port; each ``write`` (one frame of the driver's) is damaged
    with probability ``rate``, by a fault drawn from FAULTS, and each byte read with
    probability ``read_rate``, by one from READ_FAULTS."""

    def __init__(self, port, rate: float, seed: int = 0, frame_bytes: int = 256,
                 read_rate: float = 0.0):
        self._port = port
        self._rate = rate
        self.read_rate = read_rate
        self._rng = np.random.default_rng(seed)
        self._frame_bytes = frame_bytes
        self.injected = Counter()

    def __getattr__(self, name):
        return getattr(self._port, name)

    def read(self, size: int = 1) -> bytes:
        """What the device sent, each byte damaged with probability ``read_rate``."""
        data = bytearray(self._port.read(size))
        for _ in range(int(self._rng.binomial(len(data), self.read_rate)) if data else 0):
            fault = READ_FAULTS[self._rng.integers(len(READ_FAULTS))]
            self.injected[fault] += 1
            where = int(self._rng.integers(max(len(data), 1)))
            if not data:
                break
            if fault == "read_flip_bit":
                data[where] ^= 1 << int(self._rng.integers(8))
            elif fault == "read_drop_byte":
                del data[where]
            elif fault == "read_duplicate_byte":
                data.insert(where, data[where])
            else:
                data[where:where] = bytes(self._rng.integers(
                    0, 256, int(self._rng.integers(1, 20)), dtype=np.uint8))
        return bytes(data)

    def write(self, data: bytes):
        if self._rng.random() >= self._rate:
            return self._port.write(data)
        fault = FAULTS[self._rng.integers(len(FAULTS))]
        self.injected[fault] += 1
        data = bytearray(data)
        where = int(self._rng.integers(1, len(data) - 1))
        if fault == "flip_bit":
            data[where] ^= 1 << int(self._rng.integers(8))
        elif fault == "drop_byte":
            del data[where]
        elif fault == "duplicate_byte":
            data.insert(where, data[where])
        elif fault == "truncate":
            del data[where:]
        elif fault == "garbage_before":
            data[:0] = bytes(self._rng.integers(0, 256, int(self._rng.integers(1, 40)),
                                                dtype=np.uint8))
        elif fault == "duplicate_frame":
            data.extend(bytes(data))
        else:
            # a well-formed frame the device must refuse, then the real one; its
            # sequence number half the space away from the real frame's, outside the
            # driver's window (the device takes a well-formed one there as a duplicate)
            seq = data[2] ^ 0x80
            extra = {
                "oversize_frame": host_frame(HostFrame.DATA, seq, 0, 0,
                                             bytes(self._frame_bytes + 64)),
                "unknown_unit": host_frame(HostFrame.DATA, seq, 200, 0, bytes(8)),
                "unknown_port": host_frame(HostFrame.DATA, seq, 0, 9, bytes(8)),
                "unknown_type": host_frame(0x7E, seq, 0, 0, bytes(3)),
                "stale_burst": b"".join(host_frame(HostFrame.DATA, seq, 0, 0, bytes(7))
                                        for _ in range(12)),
            }[fault]
            data[:0] = extra
        return self._port.write(bytes(data))
