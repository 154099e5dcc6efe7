"""cocotb drivers and monitors for ``amaranth.lib.stream`` ports (valid/ready/payload).

Both act on the falling clock edge and look at the handshake after ``ReadOnly()``, so a
transfer is recorded exactly when the design sees it on the next rising edge. Random
stalls come from a seeded generator, so a failing run repeats with its seed.
"""

from collections import deque

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly


class Clocked:
    """Counts falling edges, so that every transfer gets a cycle number."""

    def __init__(self, clock):
        self.clock = clock
        self.cycle = 0
        cocotb.start_soon(self._count())

    async def _count(self):
        while True:
            await FallingEdge(self.clock)
            self.cycle += 1


class StreamDriver:
    """Sends payload integers on ``<name>__valid/__payload``, holding valid for a random
    fraction ``stall`` of cycles low between beats (never dropping it mid-beat)."""

    def __init__(self, dut, name: str, timer: Clocked, rng, stall: float = 0.0):
        self.valid = getattr(dut, f"{name}__valid")
        self.ready = getattr(dut, f"{name}__ready")
        self.payload = getattr(dut, f"{name}__payload")
        self.timer, self.rng, self.stall = timer, rng, stall
        self.queue = deque()
        self.sent_cycles = []
        self.valid.value = 0
        cocotb.start_soon(self._run())

    def send(self, words):
        self.queue.extend(words)

    def clear(self):
        """Forget queued beats (a reset)."""
        self.queue.clear()
        self.valid.value = 0

    @property
    def idle(self) -> bool:
        return not self.queue

    async def _run(self):
        offering = False
        while True:
            await FallingEdge(self.timer.clock)
            if not offering and self.queue and self.rng.random() >= self.stall:
                self.payload.value = self.queue[0]
                self.valid.value = 1
                offering = True
            elif not offering:
                self.valid.value = 0
            await ReadOnly()
            if offering and self.ready.value == 1:
                if self.queue:   # a clear() may have emptied it
                    self.queue.popleft()
                self.sent_cycles.append(self.timer.cycle)
                offering = False
            if not self.queue:
                offering = False


class StreamMonitor:
    """Takes beats from ``<name>__valid/__payload``, holding ready low for a random
    fraction ``stall`` of cycles."""

    def __init__(self, dut, name: str, timer: Clocked, rng, stall: float = 0.0):
        self.valid = getattr(dut, f"{name}__valid")
        self.ready = getattr(dut, f"{name}__ready")
        self.payload = getattr(dut, f"{name}__payload")
        self.timer, self.rng, self.stall = timer, rng, stall
        self.words = []
        self.cycles = []
        self.ready.value = 0
        cocotb.start_soon(self._run())

    def clear(self):
        self.words.clear()
        self.cycles.clear()

    async def _run(self):
        while True:
            await FallingEdge(self.timer.clock)
            ready = self.rng.random() >= self.stall
            self.ready.value = int(ready)
            await ReadOnly()
            if ready and self.valid.value == 1:
                self.words.append(self.payload.value.to_unsigned())
                self.cycles.append(self.timer.cycle)
