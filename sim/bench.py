"""The base of every unit's cocotb bench: clock, reset, stream drivers and monitors,
the scoreboard that names the seed, config and first wrong element on a mismatch, and
the hooks through which the shared tests (sim/shared_tests.py) drive each kind."""

import abc
import json
import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

from accelgen.payload import unpack

from .streams import Clocked, StreamDriver, StreamMonitor

CONFIG_VARIABLE = "ACCELGEN_UNIT_CONFIG"
SEED_VARIABLE = "ACCELGEN_SEED"
BENCH_JSON_VARIABLE = "ACCELGEN_BENCH_JSON"
KIND_MODULE_VARIABLE = "ACCELGEN_KIND_MODULE"
SOAK_VARIABLE = "ACCELGEN_SOAK_JOBS"


def seed_from_env() -> int:
    return int(os.environ.get(SEED_VARIABLE, "1"))


def measuring() -> bool:
    """Whether `accelgen bench` asked for the `measure` report."""
    return BENCH_JSON_VARIABLE in os.environ


def soak_jobs() -> int:
    """Jobs `accelgen sim --soak N` asked for (0: a regular run)."""
    return int(os.environ.get(SOAK_VARIABLE, "0"))


def write_measurement(report: dict):
    with open(os.environ[BENCH_JSON_VARIABLE], "w") as file:
        json.dump(report, file)


class Bench(abc.ABC):
    """Owns the clock, reset, one driver per input stream and one monitor per output.

    Subclasses set ``config_class`` and ``reference`` (the kind's beat reference, whose
    layouts name the streams) and make jobs; ``run`` sends them and checks every result
    beat. A job is (input beats per port, expected result beats per output port). The
    abstract methods are the hooks the shared tests call.
    """

    config_class: type
    reference: object

    def __init__(self, dut, config, seed: int, stall=0.0):
        self.prepare(config, seed)
        self.dut = dut
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        self.timer = Clocked(dut.clk)
        self.drivers = {name: StreamDriver(dut, name, self.timer, self.rng, stall)
                        for name in self.inputs}
        self.monitors = {name: StreamMonitor(dut, name, self.timer, self.rng, stall)
                         for name in self.outputs}

    def prepare(self, config, seed: int):
        """What the job makers need: config, layouts, random numbers (kinds with a
        job model add its state)."""
        self.config, self.seed = config, seed
        self.inputs = self.reference.input_layouts(config)
        self.outputs = self.reference.output_layouts(config)
        self.rng = np.random.default_rng(seed)

    @classmethod
    def jobs_only(cls, config, seed: int) -> "Bench":
        """A bench with no simulator behind it, for its job makers (``random_jobs``,
        ``extreme_jobs``): the host-link tests send the same jobs through the link."""
        bench = cls.__new__(cls)
        bench.prepare(config, seed)
        bench.dut = None
        return bench

    @classmethod
    def from_environment(cls, dut, stall=0.0):
        """The bench for the config and seed the runner passed to the simulator."""
        settings = json.loads(os.environ[CONFIG_VARIABLE])
        settings.pop("kind")
        return cls(dut, cls.config_class.from_settings(settings), seed_from_env(), stall)

    # --- hooks of the shared tests ------------------------------------------------------
    @abc.abstractmethod
    def random_job(self):
        """One job of random shape and data."""

    def random_jobs(self) -> list:
        """A sequence of random jobs, back to back (the kind adds its edge shapes)."""
        return [self.random_job() for _ in range(16)]

    #: random jobs per stall level in the random-stall and pause-pattern tests
    stall_jobs = 4

    @abc.abstractmethod
    def extreme_jobs(self) -> list:
        """Jobs at the ends of every operand's range, at the longest reduction."""

    @abc.abstractmethod
    def doomed_job(self) -> tuple[dict, int]:
        """A long job's input beats, and how many cycles into it to reset."""

    @abc.abstractmethod
    async def check_full_rate(self):
        """With no stalls, jobs back to back at the kind's exact cadence."""

    @abc.abstractmethod
    async def latency_probe(self) -> dict:
        """What was timed (e.g. "result") to (measured, expected) cycles, from the input
        that completes a job to its answer."""

    @abc.abstractmethod
    async def measure(self) -> dict:
        """`accelgen bench`'s figures; ``utilization`` among them."""

    def check_state(self):
        """Compare state the unit shows outside its streams (none, by default)."""

    # --- machinery ------------------------------------------------------------------------
    def set_stall(self, stall):
        for port in [*self.drivers.values(), *self.monitors.values()]:
            port.stall = stall

    async def reset(self, cycles: int = 3):
        await FallingEdge(self.dut.clk)
        self.dut.rst.value = 1
        for driver in self.drivers.values():
            driver.clear()
        await ClockCycles(self.dut.clk, cycles)
        await FallingEdge(self.dut.clk)
        self.dut.rst.value = 0
        for monitor in self.monitors.values():
            monitor.clear()

    async def reset_during(self, stimulus: dict, cycles: int):
        """Send the first half of each port's beats of a job, let them run for
        ``cycles``, then reset: that job is lost, and nothing after it may be."""
        for port, words in stimulus.items():
            self.drivers[port].send(words[: max(1, len(words) // 2)])
        for _ in range(cycles):
            await FallingEdge(self.dut.clk)
        await self.reset()

    async def wait_for(self, port: str, count: int, timeout_cycles: int):
        monitor = self.monitors[port]
        start = self.timer.cycle
        while len(monitor.words) < count:
            if self.timer.cycle - start > timeout_cycles:
                raise AssertionError(
                    f"{self.describe()}: timed out after {timeout_cycles} cycles waiting "
                    f"for {count} beats on {port}, got {len(monitor.words)}")
            await FallingEdge(self.dut.clk)

    def describe(self) -> str:
        return f"seed {self.seed}, config {self.config}"

    def check(self, port: str, got: list, expected: list, what: str):
        """Compare result beats one by one; the message names the first wrong element."""
        if got == expected:
            return
        layout = self.outputs[port]
        if len(got) != len(expected):
            raise AssertionError(f"{self.describe()}: {what}: {len(got)} beats on {port}, "
                                 f"expected {len(expected)}")
        for beat, (g, e) in enumerate(zip(got, expected)):
            if g == e:
                continue
            got_fields, expected_fields = unpack(layout, [g]), unpack(layout, [e])
            for field in got_fields:
                got_values = np.atleast_1d(got_fields[field][0])
                expected_values = np.atleast_1d(expected_fields[field][0])
                wrong = np.flatnonzero(got_values != expected_values)
                if wrong.size:
                    lane = int(wrong[0])
                    raise AssertionError(
                        f"{self.describe()}: {what}: first mismatch at {port} beat {beat}, "
                        f"field {field}[{lane}]: got {got_values[lane]}, "
                        f"expected {expected_values[lane]}")

    def timeout(self, jobs: list, results: int) -> int:
        """Cycles to wait for ``results`` beats of ``jobs`` before calling it a hang."""
        beats = sum(len(words) for stimulus, _ in jobs for words in stimulus.values())
        return 200 + 20 * (beats + results)

    async def run(self, jobs: list, stall=None, timeout_cycles=None):
        """Send ``jobs`` back to back and check every result beat against the golden
        model. A job is (input beats per port, expected beats per output port)."""
        if stall is not None:
            self.set_stall(stall)
        starts = {port: len(monitor.words) for port, monitor in self.monitors.items()}
        for stimulus, _ in jobs:
            for port, words in stimulus.items():
                self.drivers[port].send(words)
        for port in self.monitors:
            expected = [word for _, results in jobs for word in results[port]]
            limit = timeout_cycles or self.timeout(jobs, len(expected))
            await self.wait_for(port, starts[port] + len(expected), limit)
            got = self.monitors[port].words[starts[port]:starts[port] + len(expected)]
            offset = 0
            for index, (_, results) in enumerate(jobs):
                count = len(results[port])
                self.check(port, got[offset:offset + count], results[port][:count],
                           f"job {index}")
                offset += count
