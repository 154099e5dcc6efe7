"""cocotb bench of the systolic array, both dataflows, against golden.systolic."""

import cocotb
import numpy as np

from accelgen.formats.olive_codes import VICTIM
from accelgen.golden.systolic import operand_values
from accelgen.payload import last_flags, pack
from accelgen.systolic_config import SystolicConfig

from . import systolic_reference
from .bench import Bench
from .coverage import length_bin, length_bins
from .systolic_reference import reference_beats


# an OVP pair by which of its codes (low, high) are the victim marker
_PAIR_KINDS = {(False, False): "two normals", (False, True): "outlier, victim",
               (True, False): "victim, outlier", (True, True): "two markers"}


class SystolicBench(Bench):
    config_class = SystolicConfig
    reference = systolic_reference
    stall_jobs = 6

    def random_operands(self, shape, which: str, extreme: str | None = None):
        """Stream elements of an operand: integers, or OVP codes (an extreme one is an
        outlier at that end with its victim's marker, in every pair)."""
        low, high = getattr(self.config, f"{which}_range")
        if self.config.olive(which):
            if extreme in (None, "victims"):
                # "victims": every pair two markers (never encoded; decodes to zeros)
                codes = self.rng.integers(0, 16, size=shape, dtype=np.int64)
                return np.full(shape, VICTIM) if extreme else codes
            codes = np.full(shape, VICTIM, dtype=np.int64)
            codes[..., 0::2] = self.config.olive_type.code_of(
                low if extreme == "min" else high, outlier=True)
            return codes
        if extreme == "victims":
            extreme = None
        if extreme == "min":
            return np.full(shape, low, dtype=np.int64)
        if extreme == "max":
            return np.full(shape, high, dtype=np.int64)
        return self.rng.integers(low, high + 1, size=shape, dtype=np.int64)

    def job(self, depth: int, vectors: int = 1, extreme: str | tuple | None = None):
        """One job with reduction length ``depth`` (K for output-stationary; the rows of
        the weight tile for weight-stationary, with ``vectors`` activation vectors):
        its input beats and the result beats the golden model expects. ``extreme``:
        "min" or "max" for every operand, or (activations', weights'); "victims": every
        OVP pair two markers."""
        config = self.config
        a_end, w_end = extreme if isinstance(extreme, tuple) else (extreme, extreme)
        beats = -(-depth // config.beat_steps)   # OVP pairs: two steps a beat
        if config.output_stationary:
            stimulus = {"operands": pack(self.inputs["operands"], {
                "a": self.random_operands((beats, self.lanes("operands", "a")), "activation",
                                          a_end),
                "w": self.random_operands((beats, self.lanes("operands", "w")), "weight",
                                          w_end),
                "last": last_flags(beats)})}
        else:
            stimulus = {
                "weights": pack(self.inputs["weights"], {
                    "w": self.random_operands((beats, self.lanes("weights", "w")), "weight",
                                              w_end),
                    "last": last_flags(beats)}),
                "activations": pack(self.inputs["activations"], {
                    "a": self.random_operands((vectors, self.lanes("activations", "a")),
                                              "activation", a_end),
                    "last": last_flags(vectors)}),
            }
        return stimulus, reference_beats(config, stimulus)

    def lanes(self, port: str, field: str) -> int:
        """Elements of an operand field in one beat."""
        return self.inputs[port].members[field].length

    @property
    def beat_cycles(self) -> int:
        """Cycles the array spends on one beat of the data port (two for OVP pairs of
        output-stationary steps)."""
        return self.config.beat_steps if self.config.output_stationary else 1

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
        return len(stimulus[self.data_port]) * self.beat_cycles * self.config.rows * \
            self.config.cols

    # --- hooks of the shared tests ------------------------------------------------------
    def random_jobs(self):
        """K = 1 first, then random sizes."""
        return [self.job(1)] + [self.random_job() for _ in range(15)]

    def extreme_pairs(self) -> list[tuple[str, str]]:
        """(activations, weights) ends whose sums are the widest: both ends alike, and
        (signed) the two most negative sums."""
        pairs = [("min", "min"), ("max", "max")]
        return pairs + [("min", "max"), ("max", "min")] if self.config.signed else pairs

    def extreme_jobs(self):
        """Every operand at one end of its range, at the longest reduction; with an OVP
        operand, also every pair two markers."""
        depth, vectors = self.config.reduction_depth, 4
        victims = [self.job(depth, vectors, extreme="victims")] if self.config.any_olive else []
        return [self.job(depth, vectors, extreme=pair) for pair in self.extreme_pairs()] + \
            victims

    # --- coverage -----------------------------------------------------------------------
    def coverage_bins(self):
        config = self.config
        bins = {"reduction length": length_bins(self.longest_beats),
                "activations": ["min", "max"], "weights": ["min", "max"],
                "longest reduction, every operand at an end":
                    ["×".join(pair) for pair in self.extreme_pairs()]}
        if not config.output_stationary:
            bins["vectors per job"] = ["1", "several"]
        for which in ("activation", "weight"):
            if config.olive(which):
                bins[f"{which} OVP pairs"] = list(_PAIR_KINDS.values())
                bins[f"{which} OVP outliers"] = [str(value) for value
                                                  in config.olive_type.outlier_values]
        return bins

    @property
    def longest_beats(self) -> int:
        """Beats of the longest reduction on the stream that carries it."""
        return -(-self.config.reduction_depth // self.config.beat_steps)

    def sample(self, stimulus):
        config = self.config
        steps = config.beat_steps
        if config.output_stationary:
            jobs = [(frame["a"], frame["w"], len(frame["last"]))
                    for frame in self.frames(stimulus, "operands")]
        else:
            vectors = self.frames(stimulus, "activations")
            jobs = [(vector["a"], tile["w"], len(tile["last"]))
                    for vector, tile in zip(vectors, self.frames(stimulus, "weights"))]
            for vector in vectors:
                self.cover("vectors per job", "1" if len(vector["a"]) == 1 else "several")
        for a, w, beats in jobs:
            self.cover("reduction length", length_bin(beats, self.longest_beats))
            ends = {}
            a_steps = steps if config.output_stationary else 1
            for which, elements, count in (("activation", a, a_steps), ("weight", w, steps)):
                values = operand_values(config, which, elements, count)
                low, high = getattr(config, f"{which}_range")
                for end, value in (("min", low), ("max", high)):
                    if (values == value).any():
                        self.cover(f"{which}s", end)
                    # (every OVP pair: the outlier at the end and its victim)
                    if (values == value).all() or config.olive(which) and \
                            (values == value).sum() * 2 == values.size and \
                            np.isin(values, [value, 0]).all():
                        ends[which] = end
                if config.olive(which):
                    self.sample_pairs(which, elements)
            pair = f"{ends.get('activation')}×{ends.get('weight')}"
            if beats == self.longest_beats and \
                    pair in self.coverage_bins()["longest reduction, every operand at an end"]:
                self.cover("longest reduction, every operand at an end", pair)

    def sample_pairs(self, which: str, codes):
        """Which kinds of OVP pairs and which outlier values an operand's codes held."""
        normal = self.config.olive_type
        for low, high in zip(codes[..., 0::2].flat, codes[..., 1::2].flat):
            low, high = int(low), int(high)
            self.cover(f"{which} OVP pairs", _PAIR_KINDS[low == VICTIM, high == VICTIM])
            for code, partner in ((low, high), (high, low)):
                if partner == VICTIM and code != VICTIM and code & 0b111:
                    self.cover(f"{which} OVP outliers", str(normal.outlier(code)))

    def doomed_job(self):
        stimulus, _ = self.steady_job(2 * self.config.job_spacing + 3)
        return stimulus, self.config.rows + 3

    async def check_full_rate(self):
        """Long jobs enter without a single idle input cycle; output-stationary jobs of
        mixed K take exactly max(K, job_spacing) cycles each."""
        depth = max(2 * self.config.job_spacing + 2, self.config.back_to_back_vectors)
        jobs = [self.steady_job(depth) for _ in range(4)]
        port = self.data_port
        await self.run(jobs)
        cycles = self.drivers[port].sent_cycles
        total = sum(len(stimulus[port]) for stimulus, _ in jobs)
        assert cycles[-1] - cycles[-total] == (total - 1) * self.beat_cycles, (
            f"{self.describe()}: {total} input beats took {cycles[-1] - cycles[-total] + 1} "
            f"cycles; back-to-back jobs must not stall the input (a beat every "
            f"{self.beat_cycles} cycles)")
        if self.config.output_stationary:
            taken, expected, _ = await self.mixed_stream(12)
            assert taken == expected, (
                f"{self.describe()}: jobs of mixed K took {taken} cycles, expected "
                f"{expected} (max(K, {self.config.job_spacing}) each)")

    async def mixed_stream(self, count: int) -> tuple[int, int, int]:
        """Output-stationary jobs with K uniform in 1..2·job_spacing, back to back: the
        cycles from the first job's first result row to the last job's (a row leaves a
        fixed latency after its job's last beat is issued), the sum of max(K,
        job_spacing) over the jobs after the first (the bound), and their beats."""
        spacing, rows = self.config.job_spacing, self.config.rows
        depths = self.rng.integers(1, min(2 * spacing, self.config.max_depth) + 1, count)
        await self.run([self.job(int(depth)) for depth in depths])
        steps = self.config.beat_steps
        depths = -(-depths // steps) * steps   # the steps the array takes
        results = self.monitors["result"].cycles
        return (results[-rows] - results[-count * rows],
                sum(max(int(depth), spacing) for depth in depths[1:]), int(depths[1:].sum()))

    async def latency_probe(self):
        """From the input that completes the job (the last operand beat; the activation
        vector) to the first result beat."""
        await self.run([self.steady_job(3)])
        sent = self.drivers[self.data_port].sent_cycles
        start = sent[-1] if self.config.output_stationary else sent[0]
        return {"result": (self.monitors["result"].cycles[0] - start, self.config.latency)}

    async def measure(self):
        """Cycles and MAC utilization of back-to-back long jobs, measured from the first
        input transfer to the last result transfer."""
        depth, count = 256, 8
        jobs = [self.steady_job(depth) for _ in range(count)]
        await self.run(jobs)
        port = self.data_port
        first_in = self.drivers[port].sent_cycles[0]
        last_in = self.drivers[port].sent_cycles[-1]
        last_out = self.monitors["result"].cycles[-1]
        macs = sum(self.macs(job) for job in jobs)
        peak = self.config.rows * self.config.cols
        steady = last_in - first_in + 1
        total = last_out - first_in + 1
        mixed = {}
        if self.config.output_stationary:
            cycles, bound, beats = await self.mixed_stream(65)
            mixed = {"mixed_k_jobs": 64, "mixed_k_cycles": cycles, "mixed_k_bound_cycles": bound,
                     "mixed_k_utilization": beats / cycles}
        return {
            **mixed,
            # beats per job on the data port (K is capped by max_depth)
            "jobs": count, "depth": len(jobs[0][0][port]), "cycles": total,
            "steady_cycles": steady, "macs": macs, "peak_macs_per_cycle": peak,
            "utilization": macs / (peak * steady),
            "utilization_with_drain": macs / (peak * total),
            "drain_cycles": last_out - last_in,   # last input beat to last result beat
        }


@cocotb.test()
async def shortest_jobs(dut):
    """The shortest jobs back to back: K = 1 (output-stationary), or a one-row tile and
    one vector (weight-stationary, where each job swaps the weight bank)."""
    bench = SystolicBench.from_environment(dut)
    await bench.reset()
    await bench.run([bench.job(1, vectors=1) for _ in range(24)])
    await bench.run([bench.job(1, vectors=1) for _ in range(12)], stall=0.5)
