"""cocotb bench of the ternary unit (and its MLGRU cell) against golden.ternary."""

import json
import os

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from accelgen.golden.ternary import chunks, row_blocks

from .bench import BENCH_JSON_VARIABLE, Bench, config_from_env, seed_from_env
from .ternary_reference import (input_layouts, load_words, output_layouts, reference_beats,
                                vector_words)


class TernaryBench(Bench):
    """Jobs are one weight load and its vectors. The expected beats of each job come from
    the reference run over everything sent since reset, since the MLGRU's hidden state
    carries over from job to job."""

    def __init__(self, dut, config, seed, stall=0.0):
        self.inputs, self.outputs = input_layouts(config), output_layouts(config)
        super().__init__(dut, config, seed, stall)
        self._forget()

    def _forget(self):
        self.sent = {"weights": [], "activations": []}
        self.expected_so_far = 0

    async def reset(self, cycles: int = 3):
        await super().reset(cycles)
        self._forget()

    def timeout(self, jobs: list, results: int) -> int:
        # a result beat may take a pass over a whole row block of the largest matrix
        per_result = self.config.max_chunks * self.config.projections
        return super().timeout(jobs, results) + 20 * results * per_result

    # --- stimulus -------------------------------------------------------------------
    def matrices(self, rows: int, cols: int, pattern: str = "random") -> list:
        shape = (self.config.projections, rows, cols)
        if pattern == "random":
            zeros = self.rng.uniform(0.0, 0.9)
            trits = self.rng.choice([-1, 0, 1], size=shape,
                                    p=[(1 - zeros) / 2, zeros, (1 - zeros) / 2])
        else:
            trits = np.full(shape, {"zero": 0, "plus": 1, "minus": -1}[pattern])
        return list(trits.astype(np.int64))

    def activations(self, cols: int, extreme: str | None = None) -> np.ndarray:
        low, high = self.config.activation_range
        if extreme == "min":
            return np.full(cols, low, dtype=np.int64)
        if extreme == "max":
            return np.full(cols, high, dtype=np.int64)
        return self.rng.integers(low, high + 1, size=cols, dtype=np.int64)

    def scale(self) -> int:
        """A scale around 1.0 (MLGRU: around 1/8, so that the gates see -8..8)."""
        one = 1 << self.config.scale_fraction_bits
        top = max(1, one // 8) if self.config.mlgru else 2 * one
        return int(self.rng.integers(1, top + 1))

    def job(self, rows: int, cols: int, vectors: int, pattern: str = "random",
            extreme: str | None = None, scales: tuple | None = None, start: bool = False,
            load: bool = True, final: bool = True):
        """One load of a rows x cols matrix (the hidden size, with the MLGRU) and
        ``vectors`` vectors on it; ``start`` on the first clears the MLGRU state,
        ``final`` on the last ends the job. Without ``load``, the vectors use the load
        of the job before, which did not end."""
        config = self.config
        weight_scale, activation_scale = scales or (self.scale(), None)
        stimulus = {"weights": [], "activations": []}
        if load:
            stimulus["weights"] = load_words(config, self.matrices(rows, cols, pattern),
                                             weight_scale)
        for index in range(vectors):
            stimulus["activations"] += vector_words(
                config, self.activations(cols, extreme),
                activation_scale if activation_scale is not None else self.scale(),
                start=start and index == 0, final=final and index == vectors - 1)
        for port, words in stimulus.items():
            self.sent[port] += words
        expected = reference_beats(config, self.sent)["result"]
        job = stimulus, {"result": expected[self.expected_so_far:]}
        self.expected_so_far = len(expected)
        return job

    def random_job(self, start: bool = False):
        config = self.config
        return self.job(int(self.rng.integers(1, config.max_rows + 1)),
                        int(self.rng.integers(1, config.max_cols + 1)),
                        int(self.rng.integers(1, 4)), start=start)

    def cycles_per_vector(self, rows: int, cols: int) -> int:
        return row_blocks(self.config, rows) * chunks(self.config, cols)


def _bench(dut, stall=0.0):
    return TernaryBench(dut, config_from_env(), seed_from_env(), stall)


@cocotb.test()
async def random_jobs(dut):
    """Random shapes (1x1 and the largest included), densities and data; every job
    reloads the weights, jobs back to back."""
    bench = _bench(dut)
    await bench.reset()
    config = bench.config
    jobs = [bench.job(1, 1, 2, start=True), bench.job(config.max_rows, config.max_cols, 2)]
    jobs += [bench.random_job() for _ in range(8)]
    jobs += [bench.job(1, 1, 1) for _ in range(4)]    # the shortest jobs, back to back
    await bench.run(jobs)


@cocotb.test()
async def weight_patterns(dut):
    """All-zero, all +1 and all -1 weights against the most negative and the largest
    activations, with the largest and zero scales (saturation both ways)."""
    bench = _bench(dut)
    await bench.reset()
    config = bench.config
    top = (1 << 16) - 1
    jobs = []
    for pattern in ("zero", "plus", "minus"):
        for extreme in ("min", "max"):
            jobs.append(bench.job(config.max_rows, config.max_cols, 1, pattern, extreme,
                                  scales=(top, top), start=not jobs))
    jobs.append(bench.job(config.max_rows, config.max_cols, 2, "plus", "min", scales=(0, top)))
    jobs.append(bench.job(config.max_rows, config.max_cols, 2, "minus", "max",
                          scales=(1, 1 << config.scale_fraction_bits)))
    await bench.run(jobs, stall=0.2)


@cocotb.test()
async def random_stalls(dut):
    """Random back-pressure on every port, from light to 90%."""
    bench = _bench(dut)
    await bench.reset()
    for stall in (0.1, 0.5, 0.9):
        await bench.run([bench.random_job(start=stall == 0.1) for _ in range(4)], stall=stall)


@cocotb.test()
async def reset_mid_job(dut):
    """A reset in the middle of a job (weights and a vector half sent) loses that job
    and the MLGRU state, and nothing after it."""
    bench = _bench(dut)
    await bench.reset()
    config = bench.config
    doomed, _ = bench.job(config.max_rows, config.max_cols, 2)
    await bench.reset_during(doomed, len(doomed["weights"]) // 2 + 5)
    await bench.run([bench.random_job() for _ in range(3)], stall=0.3)


@cocotb.test()
async def decode_sequence(dut):
    """One load, then many vectors (MLGRU: many time steps, every o compared with the
    golden step): with no stalls, a result leaves every C·blocks cycles exactly."""
    bench = _bench(dut)
    await bench.reset()
    config = bench.config
    rows, cols = config.max_rows, config.max_cols
    steps = 24
    await bench.run([bench.job(rows, cols, steps, start=True)])
    per_result = chunks(config, cols) * config.projections
    cycles = bench.monitors["result"].cycles
    gaps = set(np.diff(cycles[-(steps * (row_blocks(config, rows) // config.projections)):]))
    assert gaps == {per_result}, (
        f"{bench.describe()}: results {sorted(gaps)} cycles apart, expected {per_result}: "
        "the engine must issue a weight word every cycle")


@cocotb.test()
async def double_buffered_reload(dut):
    """Loads queue behind the job in use; with double_buffer the next load fills during
    the current job, so jobs of one vector each follow without a gap."""
    bench = _bench(dut)
    await bench.reset()
    config = bench.config
    rows, cols = config.max_rows, config.max_cols
    jobs = [bench.job(rows, cols, 2, start=True) for _ in range(4)]
    await bench.run(jobs)
    if not config.double_buffer:
        return
    per_vector = bench.cycles_per_vector(rows, cols)
    words = len(jobs[0][0]["weights"])
    blocks = row_blocks(config, rows) // config.projections
    cycles = bench.monitors["result"].cycles[-4 * 2 * blocks:]
    # the first job waits for its whole load; later loads hide behind computation
    # whenever a job computes longer than a load takes
    if 2 * per_vector >= words + 8:
        span = cycles[-1] - cycles[blocks * 2 - 1]
        assert span == 3 * 2 * per_vector, (
            f"{bench.describe()}: three reloaded jobs took {span} cycles, expected "
            f"{3 * 2 * per_vector}")


@cocotb.test(skip=BENCH_JSON_VARIABLE not in os.environ)
async def measure(dut):
    """`accelgen bench`: a decode-style sequence, one load of the largest matrix and 16
    vectors. ``cycles`` counts from the end of the load (the last weight transfer) to
    the last result transfer; ``cycles_with_load`` from the first weight transfer."""
    bench = _bench(dut)
    await bench.reset()
    config = bench.config
    rows, cols, vectors = config.max_rows, config.max_cols, 16
    job = bench.job(rows, cols, vectors, start=True)
    await bench.run([job])
    first_weight = bench.drivers["weights"].sent_cycles[0]
    last_weight = bench.drivers["weights"].sent_cycles[-1]
    last_out = bench.monitors["result"].cycles[-1]
    macs = vectors * rows * cols * config.projections
    peak = config.lanes_in * config.lanes_out
    cycles, with_load = last_out - last_weight, last_out - first_weight + 1
    report = {
        "vectors": vectors, "rows": rows, "cols": cols,
        "load_cycles": last_weight - first_weight + 1, "cycles": cycles,
        "cycles_with_load": with_load,
        "cycles_per_vector": bench.cycles_per_vector(rows, cols),
        "macs": macs, "peak_macs_per_cycle": peak,
        "utilization": macs / (peak * cycles),
        "utilization_with_load": macs / (peak * with_load),
    }
    with open(os.environ[BENCH_JSON_VARIABLE], "w") as file:
        json.dump(report, file)


@cocotb.test()
async def latency(dut):
    """On an idle unit with weights loaded, the first result of a one-beat vector leaves
    exactly `config.latency` cycles after that beat."""
    bench = _bench(dut)
    await bench.reset()
    config = bench.config
    shape = config.lanes_out, config.lanes_in
    await bench.run([bench.job(*shape, 1, start=True, final=False)])
    for _ in range(40):
        await FallingEdge(dut.clk)
    await bench.run([bench.job(*shape, 1, load=False)])
    sent = bench.drivers["activations"].sent_cycles[-1]
    measured = bench.monitors["result"].cycles[-1] - sent
    assert measured == config.latency, (
        f"{bench.describe()}: latency {measured} cycles, config.latency says {config.latency}")
