"""cocotb tests of a unit behind its AXI4-Stream wrapper (hw/axi_stream.py), driven by
cocotbext-axi's ``AxiStreamSource`` and read by its ``AxiStreamSink``, with their pause
generators on every port: the kind's random and extreme jobs (from its bench's job
makers), every result beat compared with the golden beats, and a reset through
``aresetn`` between runs. The runner runs this module in place of the kind's benches
when `accelgen sim --interface axi-stream` asks for it."""

import importlib
import itertools
import json
import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, with_timeout
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

from accelgen.hw.axi_stream import axi_ports
from accelgen.registry import UNIT_KINDS

from .bench import CONFIG_VARIABLE, KIND_MODULE_VARIABLE, seed_from_env


class AxiBench:
    """The wrapper's ports, as cocotbext-axi sources and sinks, and the kind's bench for
    its jobs and its beat-by-beat check."""

    def __init__(self, dut):
        importlib.import_module(os.environ[KIND_MODULE_VARIABLE])
        settings = json.loads(os.environ[CONFIG_VARIABLE])
        kind = UNIT_KINDS[settings.pop("kind")]
        self.config = kind.config_class.from_settings(settings)
        self.jobs = kind.bench().jobs_only(self.config, seed_from_env())
        self.dut = dut
        self.ports = {port.stream: port
                      for port in axi_ports(kind.component(self.config).signature)}
        cocotb.start_soon(Clock(dut.aclk, 10, unit="ns").start())
        self.sources, self.sinks = {}, {}
        for port in self.ports.values():
            bus = AxiStreamBus.from_prefix(dut, port.prefix)
            # one "byte" per beat: a frame's tdata is a list of whole-beat integers
            make = AxiStreamSink if port.is_output else AxiStreamSource
            (self.sinks if port.is_output else self.sources)[port.stream] = make(
                bus, dut.aclk, dut.aresetn, reset_active_level=False, byte_lanes=1)
        self.rng = np.random.default_rng(seed_from_env())

    def pause(self, probability: float):
        """Random pauses on every port (each its own seeded generator)."""
        for port in [*self.sources.values(), *self.sinks.values()]:
            draws = self.rng.random(4096) < probability
            port.set_pause_generator(itertools.cycle(draws.tolist()))

    async def reset(self):
        await FallingEdge(self.dut.aclk)
        self.dut.aresetn.value = 0
        await ClockCycles(self.dut.aclk, 3)
        await FallingEdge(self.dut.aclk)
        self.dut.aresetn.value = 1
        for sink in self.sinks.values():
            sink.clear()

    def frames(self, stream: str, words: list) -> list[AxiStreamFrame]:
        """A port's beats as frames, each ending at a beat whose ``last`` is set."""
        port, frames, beats = self.ports[stream], [], []
        for word in words:
            tdata, tlast = port.to_tdata(word)
            beats.append(tdata)
            if tlast:
                frames.append(AxiStreamFrame(beats))
                beats = []
        assert not beats, (f"{stream}: beats after the last `last` cannot be sent as AXI4-"
                           "Stream frames (tlast ends every frame)")
        return frames

    async def run(self, jobs: list):
        """Send ``jobs``' beats on every input at once and check every result beat."""
        for stream, source in self.sources.items():
            for frame in self.frames(stream, [word for stimulus, _ in jobs
                                              for word in stimulus.get(stream, [])]):
                await source.send(frame)
        for stream, sink in self.sinks.items():
            expected = [word for _, results in jobs for word in results[stream]]
            port, got = self.ports[stream], []
            # a hang is a failure: at most 100 cycles a beat, however heavy the pauses
            patience = 10 * (2000 + 100 * len(expected))
            while len(got) < len(expected):
                try:
                    frame = await with_timeout(sink.recv(), patience, "ns")
                except TimeoutError:
                    raise AssertionError(f"{self.jobs.describe()}: {stream}: {len(got)} of "
                                         f"{len(expected)} beats, then none") from None
                last = len(frame.tdata) - 1
                got += [port.to_payload(int(tdata), int(index == last))
                        for index, tdata in enumerate(frame.tdata)]
            offset = 0
            for index, (_, results) in enumerate(jobs):
                count = len(results[stream])
                self.jobs.check(stream, got[offset:offset + count], results[stream],
                                f"job {index} (AXI4-Stream)")
                offset += count


@cocotb.test()
async def axi_random_and_extreme_jobs(dut):
    """The kind's random jobs and its extreme values, back to back, no pauses."""
    bench = AxiBench(dut)
    await bench.reset()
    await bench.run(bench.jobs.random_jobs() + bench.jobs.extreme_jobs())


@cocotb.test()
async def axi_pauses_on_every_port(dut):
    """Random pauses from the sources and back-pressure from the sinks, light to heavy,
    with a reset through aresetn before each level."""
    bench = AxiBench(dut)
    for probability in (0.2, 0.5, 0.8):
        await bench.reset()
        bench.jobs.forget()
        bench.pause(probability)
        await bench.run([bench.jobs.random_job() for _ in range(6)])
