"""The cocotb tests every unit kind gets, written once: random jobs, random stalls and
fixed pause patterns on every port, long back-pressure on the results, extreme values,
a reset in the middle of a job and in every phase of the work, back-to-back jobs at
full rate, the exact latency, the
`measure` report, and the `--soak` run. Each reaches the kind through the hooks of its
bench (sim/bench.py); the runner runs this module beside the kind's own bench module,
which holds the tests only that kind has."""

import importlib
import json
import os

import cocotb
from cocotb.triggers import FallingEdge

from accelgen.registry import UNIT_KINDS

from .bench import (CONFIG_VARIABLE, KIND_MODULE_VARIABLE, WORK_PHASES, measuring, soak_jobs,
                    write_measurement)

# deterministic pauses (1 = hold valid / ready low), beside the random stalls: every
# other cycle, one cycle in four, three in four, and a burst of 9
PAUSE_PATTERNS = ((1, 0), (1, 1, 1, 0), (0, 0, 0, 1), (1,) * 9 + (0,) * 5)


def _bench(dut):
    # a kind defined outside the package registers when its module is imported
    importlib.import_module(os.environ[KIND_MODULE_VARIABLE])
    kind = UNIT_KINDS[json.loads(os.environ[CONFIG_VARIABLE])["kind"]]
    return kind.bench().from_environment(dut)


@cocotb.test()
async def random_jobs(dut):
    """Random shapes and data (the kind's smallest and largest included), back to back."""
    bench = _bench(dut)
    await bench.reset()
    await bench.run(bench.random_jobs())
    bench.check_state()


@cocotb.test()
async def random_stalls(dut):
    """Random back-pressure on every port, from light to 90%."""
    bench = _bench(dut)
    await bench.reset()
    for stall in (0.1, 0.5, 0.9):
        await bench.run([bench.random_job() for _ in range(bench.stall_jobs)], stall=stall)
        bench.check_state()


@cocotb.test()
async def pause_patterns(dut):
    """Fixed pause patterns on every port: regular gaps that random stalls rarely make."""
    bench = _bench(dut)
    await bench.reset()
    for pattern in PAUSE_PATTERNS:
        await bench.run([bench.random_job() for _ in range(bench.stall_jobs)], stall=pattern)
    bench.check_state()


@cocotb.test()
async def long_back_pressure(dut):
    """Results held back for long stretches (64 cycles, then 2 free) while the inputs
    run unstalled: every buffer fills, and each way a job can wait for room is taken
    (found by `accelgen mutate`: a held beat dropped while waiting went unnoticed)."""
    bench = _bench(dut)
    await bench.reset()
    jobs = bench.random_jobs()
    bench.set_stall(0.0)
    hold = (1,) * 64 + (0,) * 2
    for monitor in bench.monitors.values():
        monitor.stall = hold
    results = sum(len(words) for _, expected in jobs for words in expected.values())
    await bench.run(jobs, timeout_cycles=bench.timeout(jobs, results) + len(hold) * results)
    bench.check_state()


@cocotb.test()
async def extreme_values(dut):
    """The most negative and largest operands at the longest reduction the config allows."""
    bench = _bench(dut)
    await bench.reset()
    await bench.run(bench.extreme_jobs(), stall=0.2)
    bench.check_state()


@cocotb.test()
async def reset_mid_job(dut):
    """A reset in the middle of a job loses that job and nothing after it."""
    bench = _bench(dut)
    await bench.reset()
    stimulus, cycles = bench.doomed_job()
    await bench.reset_during(stimulus, cycles)
    bench.check_state()
    await bench.run([bench.random_job() for _ in range(3)], stall=0.3)
    bench.check_state()


async def _reset_in(bench, phase: str, count: int, wait: int) -> bool:
    """Send ``count`` random jobs and reset ``wait`` cycles into ``phase``; if the phase
    never comes, or ends first, check the jobs' results instead. Whether it reset."""
    jobs = [bench.random_job() for _ in range(count)]
    starts = bench.send(jobs)
    limit = bench.timer.cycle + bench.timeout(jobs, sum(
        len(words) for _, results in jobs for words in results.values()))
    waited = 0
    while not bench.settled():
        await FallingEdge(bench.dut.clk)
        if bench.phase() == phase:
            if waited == wait:
                await bench.reset(now=True)
                return True
            waited += 1
        elif waited:
            break
        assert bench.timer.cycle < limit, f"{bench.describe()}: hung, waiting for {phase}"
    await bench.expect(jobs, starts)
    return False


@cocotb.test()
async def reset_in_every_phase(dut):
    """A reset while inputs arrive, while the unit computes with every input in, and
    while results leave, twice each: at a random cycle of the phase, or at its first
    if it is shorter, in one random job, or two or three if one never shows it. The
    work in flight is lost, and the jobs after it come out right."""
    bench = _bench(dut)
    await bench.reset()
    bench.set_stall(0.2)
    for phase in WORK_PHASES * 2:
        for count in (1, 2, 3):
            if await _reset_in(bench, phase, count, int(bench.rng.integers(0, 8))) or \
                    await _reset_in(bench, phase, count, 0):
                break
        await bench.run([bench.random_job() for _ in range(2)])
        bench.check_state()


@cocotb.test()
async def back_to_back(dut):
    """With no stalls, jobs back to back at the kind's exact cadence."""
    bench = _bench(dut)
    await bench.reset()
    await bench.check_full_rate()


@cocotb.test()
async def latency(dut):
    """On an idle unit, the result leaves exactly the cycles the config says."""
    bench = _bench(dut)
    await bench.reset()
    for what, (measured, expected) in (await bench.latency_probe()).items():
        assert measured == expected, (
            f"{bench.describe()}: {what} latency {measured} cycles, the config says "
            f"{expected}")


@cocotb.test(skip=not soak_jobs())
async def soak(dut):
    """`accelgen sim --soak N`: N random jobs in batches of 1-8, each batch under a stall
    level or pause pattern drawn at random, and after a third of the batches a reset in
    a random phase of more random jobs; every draw from the seed, so a failure replays
    with it."""
    bench = _bench(dut)
    await bench.reset()
    stalls = (0.0, 0.1, 0.5, 0.9, *PAUSE_PATTERNS)
    remaining, batches, resets = soak_jobs(), 0, 0
    while remaining:
        size = min(remaining, int(bench.rng.integers(1, 9)))
        stall = stalls[int(bench.rng.integers(len(stalls)))]
        await bench.run([bench.random_job() for _ in range(size)], stall=stall)
        bench.check_state()
        remaining -= size
        batches += 1
        if bench.rng.random() < 1 / 3:
            phase = WORK_PHASES[int(bench.rng.integers(len(WORK_PHASES)))]
            count, wait = (int(bench.rng.integers(low, high)) for low, high in ((1, 4), (0, 8)))
            resets += await _reset_in(bench, phase, count, wait)
            bench.check_state()
    dut._log.info(f"soak: {soak_jobs()} jobs in {batches} batches, {resets} resets, "
                  f"{bench.timer.cycle} cycles")


@cocotb.test(skip=not measuring())
async def measure(dut):
    """`accelgen bench`: the kind's figures, utilization among them."""
    bench = _bench(dut)
    await bench.reset()
    report = await bench.measure()
    assert "utilization" in report, f"{type(bench).__name__}.measure gave no utilization"
    write_measurement(report)
