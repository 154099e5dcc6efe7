"""cocotb drivers and monitors for ``amaranth.lib.stream`` ports (valid/ready/payload).

Both act on the falling clock edge and look at the handshake after ``ReadOnly()``, so a
transfer is recorded exactly when the design sees it on the next rising edge. A stall is
a probability (random pauses from a seeded generator, so a failing run repeats with its
seed) or a pause pattern: a tuple of 0/1 repeated cycle by cycle, 1 meaning pause.
"""

from collections import Counter, deque

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


class Pauses:
    """Decides, cycle by cycle, whether a port pauses, and counts the runs of cycles in
    which a pause held a beat back (``held``: run length to how often, for coverage)."""

    def __init__(self, rng, stall):
        self.rng = rng
        self.stall = stall
        self.held = Counter()
        self._holding = 0

    def holding(self, paused: bool):
        """Called each cycle a beat is waiting: whether the pause held it back."""
        if paused:
            self._holding += 1
        elif self._holding:
            self.held[self._holding] += 1
            self._holding = 0

    @property
    def stall(self):
        return self._stall

    @stall.setter
    def stall(self, stall):
        self._stall, self._step = stall, 0

    def pause(self) -> bool:
        if isinstance(self._stall, tuple):
            step, self._step = self._step, self._step + 1
            return bool(self._stall[step % len(self._stall)])
        return not self.rng.random() >= self._stall


class StreamDriver(Pauses):
    """Sends payload integers on ``<name>__valid/__payload``, holding valid low between
    beats on the cycles ``stall`` pauses (never dropping it mid-beat). Each ``send`` is
    a job: ``back_to_back`` counts jobs whose first beat was offered in the cycle right
    after the job before's last beat went in (the unit may still hold it back)."""

    def __init__(self, dut, name: str, timer: Clocked, rng, stall=0.0):
        super().__init__(rng, stall)
        self.name = name
        self.valid = getattr(dut, f"{name}__valid")
        self.ready = getattr(dut, f"{name}__ready")
        self.payload = getattr(dut, f"{name}__payload")
        self.timer = timer
        self.queue = deque()
        self.firsts = deque()       # whether each queued beat starts a job
        self.sent_cycles = []
        self.back_to_back = 0
        self.valid.value = 0
        cocotb.start_soon(self._run())

    def send(self, words):
        self.queue.extend(words)
        self.firsts.extend(index == 0 for index in range(len(words)))

    def clear(self):
        """Forget queued beats (a reset)."""
        self.queue.clear()
        self.firsts.clear()
        self.valid.value = 0

    @property
    def idle(self) -> bool:
        return not self.queue

    async def _run(self):
        offering = False
        while True:
            await FallingEdge(self.timer.clock)
            if not offering and self.queue:
                paused = self.pause()
                self.holding(paused)
                if not paused:
                    self.payload.value = self.queue[0]
                    self.valid.value = 1
                    offering = True
                    if self.firsts[0] and self.sent_cycles and \
                            self.sent_cycles[-1] == self.timer.cycle - 1:
                        self.back_to_back += 1
            if not offering:
                self.valid.value = 0
            await ReadOnly()
            if offering and self.ready.value == 1:
                if self.queue:   # a clear() may have emptied it
                    self.queue.popleft()
                    self.firsts.popleft()
                self.sent_cycles.append(self.timer.cycle)
                offering = False
            if not self.queue:
                offering = False


class StreamMonitor(Pauses):
    """Takes beats from ``<name>__valid/__payload``, holding ready low on the cycles
    ``stall`` pauses."""

    def __init__(self, dut, name: str, timer: Clocked, rng, stall=0.0):
        super().__init__(rng, stall)
        self.name = name
        self.valid = getattr(dut, f"{name}__valid")
        self.ready = getattr(dut, f"{name}__ready")
        self.payload = getattr(dut, f"{name}__payload")
        self.timer = timer
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
            ready = not self.pause()
            self.ready.value = int(ready)
            await ReadOnly()
            if self.valid.value == 1:
                self.holding(not ready)
            if ready and self.valid.value == 1:
                self.words.append(self.payload.value.to_unsigned())
                self.cycles.append(self.timer.cycle)
