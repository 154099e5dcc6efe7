"""The adder's bench: the shared tests' hooks, and one test of its own."""

import cocotb
import numpy as np

from accelgen.numbers import value_range
from accelgen.payload import pack
from accelgen.sim.bench import Bench

from . import AdderConfig, reference


class AdderBench(Bench):
    config_class = AdderConfig
    reference = reference

    def job(self, a, b):
        a, b = np.asarray(a), np.asarray(b)
        stimulus = {"operands": pack(self.inputs["operands"], {
            "a": a, "b": b, "last": np.arange(len(a)) == len(a) - 1})}
        return stimulus, reference.reference_beats(self.config, stimulus)

    def random_job(self, beats: int | None = None):
        beats = beats or int(self.rng.integers(1, 9))
        low, high = value_range(self.config.width, True)
        return self.job(*self.rng.integers(low, high + 1, size=(2, beats)))

    def extreme_jobs(self):
        low, high = value_range(self.config.width, True)
        return [self.job([a] * 3, [b] * 3) for a in (low, high) for b in (low, high)]

    def doomed_job(self):
        stimulus, _ = self.random_job(16)
        return stimulus, 4

    async def check_full_rate(self):
        jobs = [self.random_job(8) for _ in range(4)]
        await self.run(jobs)
        cycles = self.monitors["result"].cycles[-32:]
        assert cycles[-1] - cycles[0] == 31, f"{self.describe()}: 32 sums took " \
                                             f"{cycles[-1] - cycles[0] + 1} cycles"

    async def latency_probe(self):
        await self.run([self.random_job(1)])
        sent = self.drivers["operands"].sent_cycles[-1]
        return {"result": (self.monitors["result"].cycles[-1] - sent, self.config.latency)}

    async def measure(self):
        await self.run([self.random_job(8) for _ in range(8)])
        first = self.drivers["operands"].sent_cycles[-64]
        cycles = self.monitors["result"].cycles[-1] - first + 1 - self.config.latency
        return {"sums": 64, "cycles": cycles, "utilization": 64 / cycles}


@cocotb.test()
async def one_beat_jobs(dut):
    """Jobs of a single beat, back to back."""
    bench = AdderBench.from_environment(dut)
    await bench.reset()
    await bench.run([bench.random_job(1) for _ in range(20)], stall=0.5)
