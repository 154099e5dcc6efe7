"""The base of every unit's cocotb bench: clock, reset, stream drivers and monitors,
the scoreboard that names the seed, config and first wrong element on a mismatch, the
functional coverage every kind shares (sim/coverage.py), and the hooks through which
the shared tests (sim/shared_tests.py) drive each kind."""

import abc
import json
import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

from accelgen.payload import frames, unpack

from . import coverage
from .streams import Clocked, StreamDriver, StreamMonitor

CONFIG_VARIABLE = "ACCELGEN_UNIT_CONFIG"
SEED_VARIABLE = "ACCELGEN_SEED"
BENCH_JSON_VARIABLE = "ACCELGEN_BENCH_JSON"
KIND_MODULE_VARIABLE = "ACCELGEN_KIND_MODULE"
SOAK_VARIABLE = "ACCELGEN_SOAK_JOBS"

#: what the work in flight may be doing when a reset comes (Bench.phase; else "idle")
WORK_PHASES = ("inputs", "computing", "results")


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
        self.coverage = coverage.RUN
        self.coverage.declare({**self.shared_bins(), **self.coverage_bins()})
        self._new_work()

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

    def coverage_bins(self) -> dict[str, list[str]]:
        """The kind's coverage bins, group to bin names (see sim/coverage.py)."""
        return {}

    def sample(self, stimulus: dict):
        """Count the kind's bins that a job's input beats, as sent, hit (``cover``)."""

    def cover(self, group: str, name: str):
        self.coverage.hit(group, name)

    def frames(self, stimulus: dict, port: str, longest: int | None = None) -> list[dict]:
        """A port's beats in ``stimulus``, unpacked and split into whole frames (at
        ``last``): field name to values, one row per beat."""
        beats = unpack(self.inputs[port], stimulus.get(port, []))
        return [{name: values[frame] for name, values in beats.items()}
                for frame in frames(beats["last"], longest)]

    # --- coverage every kind shares -----------------------------------------------------

    def shared_bins(self) -> dict[str, list[str]]:
        """Each port held back by a pause for 1, 2-7 and 8+ cycles running; each input's
        jobs back to back with no idle cycle; a reset in each phase of the work."""
        ports = [*self.inputs, *self.outputs]
        return {**{f"held back: {port}": coverage.HELD_BINS for port in ports},
                **{f"jobs back to back: {port}": ["no idle cycle"] for port in self.inputs},
                "reset during": ["idle", *WORK_PHASES]}

    def _new_work(self):
        """Start counting the work in flight afresh (from here, nothing is owed)."""
        self.marks = {port: len(driver.sent_cycles) for port, driver in self.drivers.items()}
        self.marks.update({port: len(monitor.words) for port, monitor in self.monitors.items()})
        self.owed = dict.fromkeys(self.monitors, 0)
        self.partial = False

    def settled(self) -> bool:
        """Nothing queued, and every result owed received."""
        return not any(driver.queue for driver in self.drivers.values()) and all(
            len(self.monitors[port].words) - self.marks[port] >= owed
            for port, owed in self.owed.items())

    def phase(self) -> str:
        """What the work in flight is doing: idle (nothing in, nothing owed), inputs
        (some in, more queued, or a job whose rest never comes), computing (every input
        in, no result out yet) or results (some out, more owed)."""
        taken = any(len(driver.sent_cycles) > self.marks[port]
                    for port, driver in self.drivers.items())
        if self.partial and taken:
            return "inputs"
        if any(driver.queue for driver in self.drivers.values()):
            return "inputs" if taken else "idle"
        received = sum(len(self.monitors[port].words) - self.marks[port] for port in self.owed)
        owed = sum(self.owed.values())
        if received >= owed:
            return "idle"
        return "results" if received else "computing"

    def save_coverage(self):
        """Move the ports' counts into the run's coverage and write it out."""
        for port in [*self.drivers.values(), *self.monitors.values()]:
            for cycles, times in port.held.items():
                self.coverage.hit(f"held back: {port.name}", coverage.held_bin(cycles), times)
            port.held.clear()
        for port, driver in self.drivers.items():
            if driver.back_to_back:
                self.coverage.hit(f"jobs back to back: {port}", "no idle cycle",
                                  driver.back_to_back)
                driver.back_to_back = 0
        self.coverage.save()

    # --- machinery ------------------------------------------------------------------------
    def set_stall(self, stall):
        for port in [*self.drivers.values(), *self.monitors.values()]:
            port.stall = stall

    def forget(self):
        """After a reset: what the bench models of the unit's state starts afresh
        (kinds whose jobs carry state from one to the next override it)."""

    async def reset(self, cycles: int = 3, *, now: bool = False):
        """Hold reset for ``cycles``; ``now``: the caller is at a falling edge, and the
        reset starts at it (a reset in a phase one cycle long must not miss it)."""
        if not now:
            await FallingEdge(self.dut.clk)
        self.cover("reset during", self.phase())
        self.dut.rst.value = 1
        for driver in self.drivers.values():
            driver.clear()
        await ClockCycles(self.dut.clk, cycles)
        await FallingEdge(self.dut.clk)
        self.dut.rst.value = 0
        for monitor in self.monitors.values():
            monitor.clear()
        self._new_work()
        self.forget()
        self.save_coverage()

    async def reset_during(self, stimulus: dict, cycles: int):
        """Send the first half of each port's beats of a job, let them run for
        ``cycles``, then reset: that job is lost, and nothing after it may be."""
        half = {port: words[: max(1, len(words) // 2)] for port, words in stimulus.items()}
        self.send([(half, {})])
        self.partial = True
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

    def send(self, jobs: list):
        """Queue ``jobs``' input beats (counting the bins they hit); their results become
        owed. Returns where each output's results of these jobs start."""
        if self.settled():
            self._new_work()
        starts = {port: self.marks[port] + owed for port, owed in self.owed.items()}
        for stimulus, results in jobs:
            self.sample(stimulus)
            for port, words in stimulus.items():
                self.drivers[port].send(words)
            for port, words in results.items():
                self.owed[port] += len(words)
        return starts

    async def run(self, jobs: list, stall=None, timeout_cycles=None):
        """Send ``jobs`` back to back and check every result beat against the golden
        model. A job is (input beats per port, expected beats per output port)."""
        if stall is not None:
            self.set_stall(stall)
        await self.expect(jobs, self.send(jobs), timeout_cycles)

    async def expect(self, jobs: list, starts: dict, timeout_cycles=None):
        """Wait for the results of ``jobs`` sent by ``send`` and check every beat."""
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
        self.save_coverage()
