"""cocotb bench of the systolic array, both dataflows, against golden.systolic."""

import json
import os

import cocotb
import numpy as np

from accelgen.payload import pack

from .bench import BENCH_JSON_VARIABLE, Bench, config_from_env, seed_from_env
from .systolic_reference import input_layouts, output_layouts, reference_beats


class SystolicBench(Bench):
    def __init__(self, dut, config, seed, stall=0.0):
        self.inputs, self.outputs = input_layouts(config), output_layouts(config)
        super().__init__(dut, config, seed, stall)

    def random_operands(self, shape, which: str, extreme: str | None = None):
        low, high = getattr(self.config, f"{which}_range")
        if extreme == "min":
            return np.full(shape, low, dtype=np.int64)
        if extreme == "max":
            return np.full(shape, high, dtype=np.int64)
        return self.rng.integers(low, high + 1, size=shape, dtype=np.int64)

    def job(self, depth: int, vectors: int = 1, extreme: str | None = None):
        """One job with reduction length ``depth`` (K for output-stationary; the rows of
        the weight tile for weight-stationary, with ``vectors`` activation vectors):
        its input beats and the result beats the golden model expects."""
        config = self.config
        if config.output_stationary:
            stimulus = {"operands": pack(self.inputs["operands"], {
                "a": self.random_operands((depth, config.rows), "activation", extreme),
                "w": self.random_operands((depth, config.cols), "weight", extreme),
                "last": np.arange(depth) == depth - 1})}
        else:
            stimulus = {
                "weights": pack(self.inputs["weights"], {
                    "w": self.random_operands((depth, config.cols), "weight", extreme),
                    "last": np.arange(depth) == depth - 1}),
                "activations": pack(self.inputs["activations"], {
                    "a": self.random_operands((vectors, config.rows), "activation", extreme),
                    "last": np.arange(vectors) == vectors - 1}),
            }
        return stimulus, reference_beats(config, stimulus)

    def random_job(self):
        config = self.config
        if config.output_stationary:
            longest = min(config.max_depth, 3 * config.job_spacing + 5)
            return self.job(int(self.rng.integers(1, longest + 1)))
        return self.job(int(self.rng.integers(1, config.rows + 1)),
                        vectors=int(self.rng.integers(1, 2 * config.rows + 4)))

    def steady_job(self, depth: int):
        """A long job for throughput: K = depth (OS), or a full tile and depth vectors (WS)."""
        if self.config.output_stationary:
            return self.job(min(depth, self.config.max_depth))
        return self.job(self.config.rows, vectors=depth)

    @property
    def data_port(self) -> str:
        """The input stream whose every beat is rows x cols MACs."""
        return "operands" if self.config.output_stationary else "activations"

    def macs(self, job) -> int:
        stimulus, _ = job
        return len(stimulus[self.data_port]) * self.config.rows * self.config.cols


def _bench(dut, stall=0.0):
    return SystolicBench(dut, config_from_env(), seed_from_env(), stall)


@cocotb.test()
async def random_jobs(dut):
    """Random sizes and data, K = 1 included, no stalls, jobs back to back."""
    bench = _bench(dut)
    await bench.reset()
    await bench.run([bench.job(1)] + [bench.random_job() for _ in range(15)])


@cocotb.test()
async def shortest_jobs(dut):
    """The shortest jobs back to back: K = 1 (output-stationary), or a one-row tile and
    one vector (weight-stationary, where each job swaps the weight bank)."""
    bench = _bench(dut)
    await bench.reset()
    await bench.run([bench.job(1, vectors=1) for _ in range(24)])
    await bench.run([bench.job(1, vectors=1) for _ in range(12)], stall=0.5)


@cocotb.test()
async def random_stalls(dut):
    """Random back-pressure on every port, from light to 90%."""
    bench = _bench(dut)
    await bench.reset()
    for stall in (0.1, 0.5, 0.9):
        await bench.run([bench.random_job() for _ in range(6)], stall=stall)


@cocotb.test()
async def extreme_values(dut):
    """The most negative and largest operands at the longest reduction the config allows."""
    bench = _bench(dut)
    await bench.reset()
    depth, vectors = bench.config.reduction_depth, 4
    jobs = [bench.job(depth, vectors, extreme="min"), bench.job(depth, vectors, extreme="max"),
            bench.job(depth, vectors, extreme="min")]
    await bench.run(jobs, stall=0.2)


@cocotb.test()
async def reset_mid_job(dut):
    """A reset in the middle of a job loses that job and nothing after it."""
    bench = _bench(dut)
    await bench.reset()
    doomed = bench.steady_job(2 * bench.config.job_spacing + 3)
    await bench.reset_during(doomed[0], bench.config.rows + 3)
    await bench.run([bench.random_job() for _ in range(4)], stall=0.3)


@cocotb.test()
async def back_to_back(dut):
    """With no stalls, long jobs enter without a single idle input cycle."""
    bench = _bench(dut)
    await bench.reset()
    depth = 2 * bench.config.job_spacing + 2
    jobs = [bench.steady_job(depth) for _ in range(4)]
    port = bench.data_port
    await bench.run(jobs)
    cycles = bench.drivers[port].sent_cycles
    total = sum(len(stimulus[port]) for stimulus, _ in jobs)
    assert cycles[-1] - cycles[-total] == total - 1, (
        f"{bench.describe()}: {total} input beats took {cycles[-1] - cycles[-total] + 1} "
        "cycles; back-to-back jobs must not stall the input")


@cocotb.test(skip=BENCH_JSON_VARIABLE not in os.environ)
async def measure(dut):
    """`accelgen bench`: cycles and MAC utilization of back-to-back long jobs, measured
    from the first input transfer to the last result transfer."""
    bench = _bench(dut)
    await bench.reset()
    depth, count = 256, 8
    jobs = [bench.steady_job(depth) for _ in range(count)]
    await bench.run(jobs)
    port = bench.data_port
    first_in = bench.drivers[port].sent_cycles[0]
    last_in = bench.drivers[port].sent_cycles[-1]
    last_out = bench.monitors["result"].cycles[-1]
    macs = sum(bench.macs(job) for job in jobs)
    peak = bench.config.rows * bench.config.cols
    steady = last_in - first_in + 1
    total = last_out - first_in + 1
    report = {
        # beats per job on the data port (K is capped by max_depth)
        "jobs": count, "depth": len(jobs[0][0][port]), "cycles": total, "steady_cycles": steady,
        "macs": macs, "peak_macs_per_cycle": peak,
        "utilization": macs / (peak * steady),
        "utilization_with_drain": macs / (peak * total),
        "drain_cycles": last_out - last_in,   # last input beat to last result beat
    }
    with open(os.environ[BENCH_JSON_VARIABLE], "w") as file:
        json.dump(report, file)


@cocotb.test()
async def latency(dut):
    """On an idle unit, the first result beat leaves exactly `config.latency` cycles after
    the input that completes it (the last operand beat; the activation vector)."""
    bench = _bench(dut)
    await bench.reset()
    await bench.run([bench.steady_job(3)])
    config = bench.config
    sent = bench.drivers[bench.data_port].sent_cycles
    start = sent[-1] if config.output_stationary else sent[0]
    measured = bench.monitors["result"].cycles[0] - start
    assert measured == config.latency, (
        f"{bench.describe()}: latency {measured} cycles, config.latency says {config.latency}")
