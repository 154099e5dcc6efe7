"""cocotb bench of the ternary unit (and its MLGRU cell) against golden.ternary."""

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from collections import deque

from accelgen.golden.ternary import chunks, clamp_shape, row_blocks, words_matrices
from accelgen.ternary_config import SCALE_BITS, TernaryConfig

from . import ternary_reference
from .bench import Bench
from .coverage import length_bin, length_bins
from .ternary_reference import load_words, reference_beats, vector_words


class TernaryBench(Bench):
    """Jobs are one weight load and its vectors. The expected beats of each job come from
    the reference run over everything sent since reset, since the MLGRU's hidden state
    carries over from job to job."""

    config_class = TernaryConfig
    reference = ternary_reference

    def prepare(self, config, seed):
        super().prepare(config, seed)
        self.forget()

    def forget(self):
        self.sent = {"weights": [], "activations": []}
        self.expected_so_far = 0
        self.sampled_loads = deque()    # (rows, cols) of the loads sent, not yet ended
        self.sampled_steps = False      # an MLGRU vector was sent since the last reset

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
        """A vector of ``cols`` activations, then (half the time) junk in the lanes past
        the last column, which the unit must ignore."""
        low, high = self.config.activation_range
        if extreme == "min":
            x = np.full(cols, low, dtype=np.int64)
        elif extreme == "max":
            x = np.full(cols, high, dtype=np.int64)
        else:
            if extreme == "small":
                low, high = -4, 4
            x = self.rng.integers(low, high + 1, size=cols, dtype=np.int64)
        padding = chunks(self.config, cols) * self.config.lanes_in - cols
        junk = self.rng.integers(*self.config.activation_range, endpoint=True, size=padding) \
            if self.rng.random() < 0.5 else np.zeros(padding, dtype=np.int64)
        return np.concatenate([x, junk])

    def scale(self) -> int:
        """A scale around 1.0 (MLGRU: around 1/8, so that the gates see -8..8), and one
        time in four anywhere in the 16-bit field (each bit length equally likely)."""
        if self.rng.random() < 0.25:
            return self.wide_scale(int(self.rng.integers(0, SCALE_BITS + 1)))
        one = 1 << self.config.scale_fraction_bits
        top = max(1, one // 8) if self.config.mlgru else 2 * one
        return int(self.rng.integers(1, top + 1))

    def wide_scale(self, length: int) -> int:
        """A scale of ``length`` bits: its top bit set, the others random."""
        if length == 0:
            return 0
        return 1 << (length - 1) | int(self.rng.integers(0, 1 << (length - 1)))

    def job(self, rows: int, cols: int, vectors: int, pattern: str = "random",
            extreme: str | None = None, scales: tuple | None = None, start: bool = False,
            load: bool = True, final: bool = True, header: tuple | None = None):
        """One load of a rows x cols matrix (the hidden size, with the MLGRU) and
        ``vectors`` vectors on it; ``start`` on the first clears the MLGRU state,
        ``final`` on the last ends the job. Without ``load``, the vectors use the load
        of the job before, which did not end. ``header``: the (rows, cols) the load
        announces instead, which the unit clamps to this shape."""
        config = self.config
        weight_scale, activation_scale = scales or (self.scale(), None)
        stimulus = {"weights": [], "activations": []}
        if load:
            stimulus["weights"] = load_words(config, self.matrices(rows, cols, pattern),
                                             weight_scale, header)
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
        """A random shape and data; with the MLGRU, one job in four starts a new
        sequence (its first vector clears the hidden state the jobs before wrote)."""
        config = self.config
        start = start or (config.mlgru and self.rng.random() < 0.25)
        return self.job(int(self.rng.integers(1, config.max_rows + 1)),
                        int(self.rng.integers(1, config.max_cols + 1)),
                        int(self.rng.integers(1, 4)), start=start)

    def cycles_per_vector(self, rows: int, cols: int) -> int:
        return row_blocks(self.config, rows) * chunks(self.config, cols)

    # --- hooks of the shared tests ------------------------------------------------------
    def random_jobs(self):
        """Random shapes (1x1 and the largest included), densities and data; every job
        reloads the weights; the shortest jobs, then two headers out of range, last."""
        config = self.config
        jobs = [self.job(1, 1, 2, start=True), self.job(config.max_rows, config.max_cols, 2)]
        jobs += [self.random_job() for _ in range(8)]
        jobs += [self.job(1, 1, 1) for _ in range(4)]
        # headers the unit clamps: the largest value each field holds, and 0
        jobs += [self.job(config.max_rows, config.max_cols, 1, header=self.header_tops()),
                 self.job(1, 1, 1, header=(0, 0))]
        return jobs

    def header_tops(self) -> tuple[int, int]:
        """The largest rows and cols a load's header fields hold (their layout's width)."""
        layout = self.inputs["weights"]
        return tuple((1 << layout[name].shape.width) - 1 for name in ("rows", "cols"))

    def extreme_jobs(self):
        """All-zero, all +1 and all -1 weights against the most negative and the largest
        activations, with the largest and zero scales (saturation both ways); each scale
        at every bit length against a small other scale and small activations (every bit
        of the product reaches an unsaturated result); scales whose product puts every
        odd sum on a rounding tie."""
        config = self.config
        top = (1 << SCALE_BITS) - 1
        jobs = []
        for pattern in ("zero", "plus", "minus"):
            for extreme in ("min", "max"):
                jobs.append(self.job(config.max_rows, config.max_cols, 1, pattern, extreme,
                                     scales=(top, top), start=not jobs))
        jobs.append(self.job(config.max_rows, config.max_cols, 2, "plus", "min",
                             scales=(0, top)))
        jobs.append(self.job(config.max_rows, config.max_cols, 2, "minus", "min",
                             scales=(top, 0)))
        jobs.append(self.job(config.max_rows, config.max_cols, 2, "minus", "max",
                             scales=(1, 1 << config.scale_fraction_bits)))
        rows, cols = min(2 * config.lanes_out, config.max_rows), min(config.lanes_in,
                                                                      config.max_cols)
        for length in range(1, SCALE_BITS + 1):
            small = int(self.rng.integers(1, 4))
            for scales in ((self.wide_scale(length), small), (small, self.wide_scale(length))):
                jobs.append(self.job(rows, cols, 1, extreme="small", scales=scales))
        if config.scale_fraction_bits:
            tie = 1 << (config.scale_fraction_bits - 1)
            jobs.append(self.job(config.max_rows, config.max_cols, 3, scales=(1, tie)))
        return jobs

    def doomed_job(self):
        """Weights and a vector half sent (the MLGRU state is lost with them)."""
        stimulus, _ = self.job(self.config.max_rows, self.config.max_cols, 2)
        return stimulus, len(stimulus["weights"]) // 2 + 5

    async def check_full_rate(self):
        """One load, then many vectors (MLGRU: many time steps): a result leaves every
        C·blocks cycles exactly."""
        config = self.config
        rows, cols = config.max_rows, config.max_cols
        steps = 24
        await self.run([self.job(rows, cols, steps, start=True)])
        per_result = chunks(config, cols) * config.projections
        cycles = self.monitors["result"].cycles
        gaps = set(np.diff(cycles[-(steps * (row_blocks(config, rows) // config.projections)):]))
        assert gaps == {per_result}, (
            f"{self.describe()}: results {sorted(gaps)} cycles apart, expected {per_result}: "
            "the engine must issue a weight word every cycle")

    async def latency_probe(self):
        """Weights loaded, the first result of a one-beat vector after that beat."""
        shape = self.config.lanes_out, self.config.lanes_in
        await self.run([self.job(*shape, 1, start=True, final=False)])
        for _ in range(40):
            await FallingEdge(self.dut.clk)
        await self.run([self.job(*shape, 1, load=False)])
        sent = self.drivers["activations"].sent_cycles[-1]
        return {"result": (self.monitors["result"].cycles[-1] - sent, self.config.latency)}

    async def measure(self):
        """A decode-style sequence, one load of the largest matrix and 16 vectors.
        ``cycles`` counts from the end of the load (the last weight transfer) to the last
        result transfer; ``cycles_with_load`` from the first weight transfer."""
        config = self.config
        rows, cols, vectors = config.max_rows, config.max_cols, 16
        await self.run([self.job(rows, cols, vectors, start=True)])
        first_weight = self.drivers["weights"].sent_cycles[0]
        last_weight = self.drivers["weights"].sent_cycles[-1]
        last_out = self.monitors["result"].cycles[-1]
        macs = vectors * rows * cols * config.projections
        peak = config.lanes_in * config.lanes_out
        cycles, with_load = last_out - last_weight, last_out - first_weight + 1
        return {
            "vectors": vectors, "rows": rows, "cols": cols,
            "load_cycles": last_weight - first_weight + 1, "cycles": cycles,
            "cycles_with_load": with_load,
            "cycles_per_vector": self.cycles_per_vector(rows, cols),
            "macs": macs, "peak_macs_per_cycle": peak,
            "utilization": macs / (peak * cycles),
            "utilization_with_load": macs / (peak * with_load),
        }


    # --- coverage -----------------------------------------------------------------------
    def coverage_bins(self):
        config = self.config
        scale_bins = ["0"] + [f"bit {bit}" for bit in range(SCALE_BITS)]
        bins = {"weights": ["-1", "0", "+1"], "whole matrix": ["all 0", "all +1", "all -1"],
                "matrix rows": length_bins(config.max_rows),
                "matrix cols": length_bins(config.max_cols),
                "activations": ["min", "max"],
                "weight scale": scale_bins, "activation scale": scale_bins,
                "load header": self.header_bins(),
                "vectors per load": ["1", "several"],
                "loads": ["kept for the next job (no final)"]}
        if config.scale_fraction_bits:
            bins["rounding"] = ["every odd sum a tie (c = 2^(F-1))"]
        if config.lanes_in > 1:
            bins["padding lanes"] = ["junk past the last column"]
        if config.mlgru:
            bins["hidden state"] = ["cleared (start) after steps", "carried over"]
        return bins

    def header_bins(self) -> list[str]:
        """Headers the unit clamps: 0, and past the largest where the field holds it."""
        config = self.config
        bins = ["rows 0 (read as 1)", "cols 0 (read as 1)"]
        for name, top, field_top in zip(("rows", "cols"), (config.max_rows, config.max_cols),
                                        self.header_tops()):
            if field_top > top:
                bins.append(f"{name} past {top} (read as {top})")
        return bins

    def cover_scale(self, group: str, scale: int):
        if not scale:
            self.cover(group, "0")
        for bit in range(SCALE_BITS):
            if scale >> bit & 1:
                self.cover(group, f"bit {bit}")

    def sample(self, stimulus):
        """The loads (shape, trits, scale) and the vectors (activations, padding, scale,
        the load they use: the oldest not yet ended by a final vector), as the unit
        reads them."""
        config = self.config
        for load in self.frames(stimulus, "weights"):
            header = int(load["rows"][0]), int(load["cols"][0])
            for name, value, top in zip(("rows", "cols"), header,
                                        (config.max_rows, config.max_cols)):
                if not value:
                    self.cover("load header", f"{name} 0 (read as 1)")
                elif value > top:
                    self.cover("load header", f"{name} past {top} (read as {top})")
            rows, cols = clamp_shape(config, *header)
            scale = int(load["scale"][0])
            self.sampled_loads.append({"rows": rows, "cols": cols, "scale": scale,
                                       "vectors": 0})
            self.cover("matrix rows", length_bin(rows, config.max_rows))
            self.cover("matrix cols", length_bin(cols, config.max_cols))
            self.cover_scale("weight scale", scale)
            words = [int(word) for word in load["data"][:config.bank_words]]
            trits = np.stack([matrix[:rows, :cols]
                              for matrix in words_matrices(config, words, rows, cols)])
            for value, name in ((-1, "-1"), (0, "0"), (1, "+1")):
                if (trits == value).any():
                    self.cover("weights", name)
                if (trits == value).all():
                    self.cover("whole matrix", f"all {name}")
        low, high = config.activation_range
        fraction = config.scale_fraction_bits
        for vector in self.frames(stimulus, "activations"):
            scale = int(vector["scale"][0])
            self.cover_scale("activation scale", scale)
            if config.mlgru:
                # a start right after a reset clears a state that is 0 already
                if vector["start"][0] and self.sampled_steps:
                    self.cover("hidden state", "cleared (start) after steps")
                elif not vector["start"][0]:
                    self.cover("hidden state", "carried over")
                self.sampled_steps = True
            if not self.sampled_loads:
                continue            # waits for a load (which the reference leaves out)
            load = self.sampled_loads[0]
            load["vectors"] += 1
            x = vector["x"].reshape(-1)
            for end, value in (("min", low), ("max", high)):
                if (x[:load["cols"]] == value).any():
                    self.cover("activations", end)
            if (x[load["cols"]:] != 0).any():
                self.cover("padding lanes", "junk past the last column")
            if fraction and (load["scale"] * scale) % (1 << fraction) == 1 << (fraction - 1):
                self.cover("rounding", "every odd sum a tie (c = 2^(F-1))")
            if vector["final"][0]:
                self.cover("vectors per load", "1" if load["vectors"] == 1 else "several")
                self.sampled_loads.popleft()
        if self.sampled_loads and self.sampled_loads[0]["vectors"]:
            self.cover("loads", "kept for the next job (no final)")

@cocotb.test()
async def double_buffered_reload(dut):
    """Loads queue behind the job in use; with double_buffer the next load fills during
    the current job, so jobs of one vector each follow without a gap."""
    bench = TernaryBench.from_environment(dut)
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
