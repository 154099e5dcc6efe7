"""cocotb bench of the bit-serial unit against golden.bitmod."""

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from accelgen.bitserial_config import SCALE_BITS, BitSerialConfig
from accelgen.formats.bitmod_datatypes import family_datatypes
from accelgen.golden.bitmod import chunk_cycles, decode, quantize_families

from . import bitserial_reference
from .bench import Bench
from .coverage import length_bin, length_bins
from .bitserial_reference import matrix_words, reference_beats, vector_words


def mixture_families(config) -> tuple:
    """The config's families of its most common code width (4 bits: int4 and fp4)."""
    widths = [family_datatypes(family)[0].code_bits for family in config.datatypes]
    common = max(set(widths), key=lambda width: (widths.count(width), -abs(width - 4)))
    return tuple(family for family, width in zip(config.datatypes, widths) if width == common)


class BitSerialBench(Bench):
    """A job is a vector and a matrix; its expected result beats come from the
    reference over that job's own beats (no state carries from job to job)."""

    config_class = BitSerialConfig
    reference = bitserial_reference
    stall_jobs = 3

    def timeout(self, jobs: list, results: int) -> int:
        # a beat may take up to 8 cycles (INT8 at one bit per cycle)
        return super().timeout(jobs, results) * self.config.planes

    # --- stimulus -------------------------------------------------------------------
    def job(self, selectors, scales, codes, x):
        self.last_selectors = np.asarray(selectors)
        stimulus = {"weights": matrix_words(self.config, selectors, scales, codes),
                    "activations": vector_words(self.config, x)}
        return stimulus, reference_beats(self.config, stimulus)

    def activations(self, cols: int, extreme: str | None = None) -> np.ndarray:
        low, high = self.config.activation_range
        if extreme is not None:
            return np.full(cols, {"min": low, "max": high}[extreme], dtype=np.int64)
        return self.rng.integers(low, high + 1, size=cols, dtype=np.int64)

    def random_job(self, rows: int | None = None, cols: int | None = None,
                   selector: int | None = None):
        """Random codes, scales and (unless given) a random datatype per group."""
        config = self.config
        rows = rows or int(self.rng.integers(1, 3 * config.pes + 1))
        cols = cols or int(self.rng.integers(1, config.max_cols + 1))
        groups = -(-cols // config.group_size)
        count = len(config.table)
        selectors = (np.full((rows, groups), selector) if selector is not None else
                     self.rng.integers(0, count, size=(rows, groups)))
        scales = self.rng.integers(0, 1 << SCALE_BITS, size=(rows, groups))
        codes = self.rng.integers(0, 1 << config.code_bits, size=(rows, cols))
        return self.job(selectors, scales, codes, self.activations(cols))

    def extreme_job(self, selector: int, sign: int, extreme: str):
        """The largest matrix, every weight the datatype's most positive or most
        negative value, every scale 255, activations at one end of their range."""
        config = self.config
        datatype = config.table[selector]
        values = np.array(datatype.values)
        code = int(np.argmax(values) if sign > 0 else np.argmin(values))
        rows, cols = config.pes, config.max_cols
        groups = config.max_groups
        return self.job(np.full((rows, groups), selector), np.full((rows, groups), 255),
                        np.full((rows, cols), code), self.activations(cols, extreme))

    def layer_job(self, rows: int, cols: int):
        """A quantized Gaussian layer with outlier columns and int8 activations, over
        the config's datatypes of the most common precision (BitMoD mixes within one
        precision: with INT8 allowed, least squares would pick it everywhere)."""
        config = self.config
        weights = self.rng.normal(size=(rows, cols))
        weights[:, self.rng.choice(cols, max(1, cols // 32))] *= 8
        quantized = quantize_families(weights, config.group_size, mixture_families(config))
        index = {datatype.name: number for number, datatype in enumerate(config.table)}
        selectors = np.vectorize(lambda number: index[quantized.table[number].name])(
            quantized.selectors)
        return self.job(selectors, quantized.scales, quantized.codes, self.activations(cols))

    # --- hooks of the shared tests ------------------------------------------------------
    def random_jobs(self):
        """Random shapes (1x1 and the largest included; columns that are not whole groups
        or chunks), a random datatype and scale per group, random codes."""
        config = self.config
        jobs = [self.random_job(1, 1), self.random_job(3 * config.pes, config.max_cols)]
        jobs += [self.random_job() for _ in range(6)]
        jobs += [self.random_job(config.pes, config.group_size + config.lanes + 1)]
        jobs += [self.random_job(1, 1) for _ in range(3)]
        return jobs

    def extreme_jobs(self):
        """Each datatype alone, its most positive and most negative values against the
        most negative and largest activations, scales at 255: the widest sums."""
        return [self.extreme_job(selector, sign, extreme)
                for selector in range(len(self.config.table))
                for sign in (1, -1) for extreme in ("min", "max")]

    def doomed_job(self):
        """A vector and half a matrix sent."""
        stimulus, _ = self.random_job(2 * self.config.pes, self.config.max_cols)
        return stimulus, len(stimulus["weights"]) // 2 + 5

    async def check_full_rate(self):
        """Row blocks of one datatype leave exactly one group's cycles apart per group:
        chunks x ceil(planes / bits_per_cycle), at least scale_cycles."""
        config = self.config
        for selector, datatype in enumerate(config.table):
            blocks = 4
            await self.run([self.random_job(blocks * config.pes, config.max_cols, selector)])
            cycles = self.monitors["result"].cycles[-blocks:]
            expected = config.max_groups * config.group_cycles(datatype)
            gaps = set(np.diff(cycles).tolist())
            assert gaps == {expected}, (
                f"{self.describe()}: {datatype.name} row blocks {sorted(gaps)} cycles apart, "
                f"expected {expected}")

    async def latency_probe(self):
        """The vector loaded, the result of a one-chunk row of the fastest datatype after
        its weight beat (each plane step past the first adds a cycle)."""
        config = self.config
        fastest = min(range(len(config.table)),
                      key=lambda selector: config.cycles_per_chunk(config.table[selector]))
        stimulus, expected = self.random_job(config.pes, config.lanes, fastest)
        self.drivers["activations"].send(stimulus["activations"])
        for _ in range(20):
            await FallingEdge(self.dut.clk)
        await self.run([({"weights": stimulus["weights"]}, expected)])
        sent = self.drivers["weights"].sent_cycles[-1]
        planes = config.cycles_per_chunk(config.table[fastest]) - 1
        return {"result": (self.monitors["result"].cycles[-1] - sent, config.latency + planes)}

    async def measure(self):
        """Per datatype, a matrix of 8 row blocks of the longest rows, no stalls: cycles
        per group (between the first and the last result, over the groups in between)
        and the PE utilization (steps that carry planes the datatype needs / cycles);
        then a layer quantized by the mixture quantizer."""
        config = self.config
        blocks = 8
        per_variant, utilization = {}, {}
        for selector, datatype in enumerate(config.table):
            await self.run([self.random_job(blocks * config.pes, config.max_cols, selector)])
            cycles = self.monitors["result"].cycles[-blocks:]
            span = cycles[-1] - cycles[0]
            groups = (blocks - 1) * config.max_groups
            per_variant[datatype.name] = span / groups
            busy = config.chunks_per_group * config.cycles_per_chunk(datatype)
            utilization[datatype.name] = busy * groups / span
        per_family = {}
        for selector, datatype in enumerate(config.table):
            family = per_family.setdefault(datatype.family, [])
            family.append(per_variant[datatype.name])
        # a float family's cost is that of its slowest variant (rows of a block share it)
        report = {"cycles_per_group": {family: max(values)
                                       for family, values in per_family.items()},
                  "cycles_per_group_variant": per_variant,
                  "group_size": config.group_size, "lanes": config.lanes, "pes": config.pes,
                  "bits_per_cycle": config.bits_per_cycle,
                  "utilization_per_variant": utilization}
        # the mixture: rows of a block step together at their widest datatype's pace
        stimulus, results = self.layer_job(blocks * config.pes, config.max_cols)
        await self.run([(stimulus, results)])
        cycles = self.monitors["result"].cycles[-blocks:]
        span = cycles[-1] - cycles[0]
        selectors = self.last_selectors[config.pes:]          # the blocks after the first
        steps = sum(chunk_cycles(config, selectors[block:block + config.pes]).sum()
                    for block in range(0, len(selectors), config.pes)) * config.chunks_per_group
        needed = sum(int(config.cycles_per_chunk(config.table[number]))
                     for number in selectors.reshape(-1)) * config.chunks_per_group
        report.update({
            "utilization": min(utilization.values()),
            "mixture_datatypes": list(mixture_families(config)),
            "mixture_cycles_per_group": span / ((blocks - 1) * config.max_groups),
            "mixture_step_cycles": int(steps), "mixture_cycles": int(span),
            # PE steps the rows' own datatypes needed / steps they took in lockstep
            "mixture_lockstep_utilization": needed / (config.pes * steps),
        })
        return report


    # --- coverage -----------------------------------------------------------------------
    def coverage_bins(self):
        config = self.config
        return {"datatypes used (scale not 0)": [datatype.name for datatype in config.table],
                "weights": [f"{datatype.name}: {end}" for datatype in config.table
                            for end in ("most negative", "most positive")],
                "chunks per vector": length_bins(config.max_chunks),
                "groups per row": length_bins(config.max_groups),
                "row blocks per job": ["1", "several"],
                "activations": ["min", "max"], "scales": ["0", str((1 << SCALE_BITS) - 1)]}

    def sample(self, stimulus):
        """Each weight beat's datatypes, values and scales, each vector's length and
        ends, each job's row blocks (a block ends after a vector's chunks, or at last)."""
        config = self.config
        low, high = config.activation_range
        vectors = self.frames(stimulus, "activations")
        for vector in vectors:
            chunks = len(vector["x"])
            self.cover("chunks per vector", length_bin(chunks, config.max_chunks))
            self.cover("groups per row", length_bin(-(-chunks // config.chunks_per_group),
                                                    config.max_groups))
            for end, value in (("min", low), ("max", high)):
                if (vector["x"] == value).any():
                    self.cover("activations", end)
        for job, matrix in enumerate(self.frames(stimulus, "weights")):
            chunks = len(vectors[job]["x"]) if job < len(vectors) else config.max_chunks
            self.cover("row blocks per job", "1" if len(matrix["last"]) <= chunks
                       else "several")
            for selectors, scales, codes in zip(matrix["datatype"], matrix["scale"],
                                                matrix["codes"]):
                values = decode(config.table, selectors[:, None],
                                codes.reshape(config.pes, config.lanes), config.lanes)
                for row, (selector, scale) in enumerate(zip(selectors, scales)):
                    if scale in (0, (1 << SCALE_BITS) - 1):
                        self.cover("scales", str(scale))
                    if not scale:
                        continue
                    # selectors past the table read as its first datatype
                    datatype = config.table[selector if selector < len(config.table) else 0]
                    self.cover("datatypes used (scale not 0)", datatype.name)
                    for end, value in (("most negative", min(datatype.values)),
                                       ("most positive", max(datatype.values))):
                        if (values[row] == value).any():
                            self.cover("weights", f"{datatype.name}: {end}")


@cocotb.test()
async def quantized_layer(dut):
    """Weights from golden.bitmod's quantizer (Gaussian with outlier columns): the
    datatypes a real layer picks, mixed inside each job."""
    bench = BitSerialBench.from_environment(dut)
    await bench.reset()
    config = bench.config
    await bench.run([bench.layer_job(2 * config.pes, config.max_cols),
                     bench.layer_job(config.pes + 1, config.max_cols - config.lanes + 1)])
