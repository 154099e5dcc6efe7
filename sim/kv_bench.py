"""cocotb bench of the KV-cache buffer against golden.kv_cache."""

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from accelgen.hw.kv_layouts import Op, result_layout, status_layout
from accelgen.kv_config import QUERY_BITS, WEIGHT_BITS, KVBufferConfig, Policy
from accelgen.numbers import value_range
from accelgen.payload import unpack

from . import kv_reference
from .bench import Bench
from .kv_reference import BeatModel, append_words, command_words, query_words


class KVBufferBench(Bench):
    """Jobs are commands with their operands; the expected answers come from one
    BeatModel that carries the cache's state from job to job (a reset starts a new
    one)."""

    config_class = KVBufferConfig
    reference = kv_reference
    stall_jobs = 15

    def prepare(self, config, seed):
        super().prepare(config, seed)
        self.forget()

    def forget(self):
        self.model = BeatModel(self.config)
        self.seen = BeatModel(self.config)      # fed only what was sent, for coverage

    def timeout(self, jobs: list, results: int) -> int:
        # an append passes its elements through staging and the divider one by one
        return super().timeout(jobs, results) * self.config.lanes + \
            len(jobs) * self.config.append_cycles

    def job(self, stimulus: dict):
        return stimulus, {"result": self.model.feed(stimulus)}

    # --- commands ---------------------------------------------------------------------
    def append(self, head: int, k=None, v=None, outliers: bool = False):
        k = self.vector(outliers) if k is None else np.asarray(k)
        v = self.vector(outliers) if v is None else np.asarray(v)
        return self.job({"command": command_words(self.config, Op.APPEND, head),
                         "append": append_words(self.config, k, v)})

    def score(self, head: int, q=None):
        q = self.rng.integers(*self.query_range(), endpoint=True, size=self.config.head_dim) \
            if q is None else np.asarray(q)
        return self.job({"command": command_words(self.config, Op.SCORE, head),
                         "query": query_words(self.config, q)})

    def value(self, head: int, p=None, count: int | None = None):
        if p is None:
            held = self.model.cache.heads[head].length if head < self.config.heads else 0
            count = max(1, held) if count is None else count
            p = self.rng.integers(0, 1 << WEIGHT_BITS, size=count)
        return self.job({"command": command_words(self.config, Op.VALUE, head, p)})

    def clear(self, head: int = 0, every: bool = False):
        return self.job({"command": command_words(self.config, Op.CLEAR, head, every=every)})

    # --- data -------------------------------------------------------------------------
    def query_range(self):
        return value_range(QUERY_BITS, True)

    def vector(self, outliers: bool = False) -> np.ndarray:
        """A K or V vector: Gaussian at a random magnitude, with outlier channels."""
        config = self.config
        low, high = config.input_range
        spread = high / 2 ** self.rng.integers(1, config.input_bits - 2)
        x = self.rng.normal(0, spread / 4, size=config.head_dim)
        if outliers:
            x[self.rng.choice(config.head_dim, max(1, config.head_dim // 16))] *= 8
        return np.clip(np.round(x), low, high).astype(np.int64)

    def random_job(self):
        """One command of a random kind, on a random head (sometimes one past the
        last: refused, or empty)."""
        config = self.config
        head = int(self.rng.integers(0, config.heads + (config.heads < 1 << config.head_bits)))
        kind = self.rng.choice(["append"] * 5 + ["score"] * 2 + ["value"] * 2 + ["clear"])
        if kind == "append":
            return self.append(head, outliers=bool(self.rng.integers(2)))
        if kind == "score":
            return self.score(head)
        if kind == "value":
            held = self.model.cache.heads[head].length if head < config.heads else 0
            # as many weights as tokens, or fewer, or more (extras have no token)
            return self.value(head, count=max(1, held + int(self.rng.integers(-2, 3))))
        return self.clear(head, every=self.rng.random() < 0.2)

    # --- status -------------------------------------------------------------------------
    def check_state(self):
        status = unpack(status_layout(self.config), [self.dut.status.value.to_unsigned()])
        for head, state in enumerate(self.model.cache.heads):
            got = (int(status["length"][0][head]), int(status["appended"][0][head]),
                   bool(status["overflow"][0][head]))
            expected = (state.length, state.appended, state.overflow)
            assert got == expected, (f"{self.describe()}: head {head} status (length, "
                                     f"appended, overflow) {got}, expected {expected}")

    # --- hooks of the shared tests ------------------------------------------------------
    def random_jobs(self):
        """Appends, scores, weighted values and clears on random heads."""
        return [self.random_job() for _ in range(60)]

    def extreme_jobs(self):
        """Inputs at both ends of int16/int8 (the most negative one included), all-zero
        vectors (scale 0), one outlier, q at -128/127, p at 0 and 255: the widest sums."""
        config = self.config
        low, high = config.input_range
        dim = config.head_dim
        jobs = []
        for _ in range(config.max_tokens):
            value = int(self.rng.choice([low, high]))
            jobs.append(self.append(0, np.full(dim, value), np.full(dim, low + high - value)))
        spike = np.zeros(dim, dtype=np.int64)
        spike[dim // 2] = low
        jobs += [self.append(0, np.zeros(dim), spike), self.append(0, spike, np.zeros(dim))]
        for q in (-128, 127):
            jobs.append(self.score(0, np.full(dim, q)))
        held = self.model.cache.heads[0].length
        jobs += [self.value(0, np.full(held, 255)), self.value(0, np.zeros(held, dtype=int))]
        return jobs

    def doomed_job(self):
        """An append with half its token sent."""
        stimulus, _ = self.append(0)
        return stimulus, self.config.chunks // 2 + 5

    async def check_full_rate(self):
        """A full head's scores leave exactly `chunks` cycles apart, and a weighted-value
        job's passes `max_tokens` cycles apart: `lanes` MACs every cycle."""
        config = self.config
        await self.run([self.append(0) for _ in range(config.max_tokens)])
        await self.run([self.score(0)])
        cycles = self.monitors["result"].cycles[-config.max_tokens:]
        gaps = set(np.diff(cycles).tolist())
        assert gaps <= {config.chunks}, (
            f"{self.describe()}: scores {sorted(gaps)} cycles apart, expected {config.chunks}")
        if config.max_tokens >= config.lanes:
            await self.run([self.value(0)])
            cycles = self.monitors["result"].cycles[-config.head_dim:]
            starts = cycles[::config.lanes]
            gaps = set(np.diff(starts).tolist())
            assert gaps <= {config.max_tokens}, (
                f"{self.describe()}: value passes {sorted(gaps)} cycles apart, expected "
                f"{config.max_tokens}")

    async def latency_probe(self):
        """An append's answer `append_cycles` after its command; a one-token score's
        `latency + chunks - 1` cycles after its command (q loaded)."""
        config = self.config
        stimulus, expected = self.append(0)
        self.drivers["append"].send(stimulus["append"])
        for _ in range(10):
            await FallingEdge(self.dut.clk)
        await self.run([({"command": stimulus["command"]}, expected)])
        append = self.monitors["result"].cycles[-1] - self.drivers["command"].sent_cycles[-1]
        stimulus, expected = self.score(0)
        self.drivers["query"].send(stimulus["query"])
        for _ in range(config.chunks + 10):
            await FallingEdge(self.dut.clk)
        await self.run([({"command": stimulus["command"]}, expected)])
        score = self.monitors["result"].cycles[-1] - self.drivers["command"].sent_cycles[-1]
        return {"append": (append, config.append_cycles),
                "score": (score, config.latency + config.chunks - 1)}

    async def measure(self):
        """One head filled to capacity (back-to-back appends: cycles per token), then a
        score and a weighted-value read of it with no stalls: MACs per cycle over
        `lanes`, from the command to the last answer; bytes read per cycle."""
        config = self.config
        tokens = config.max_tokens
        await self.run([self.append(0) for _ in range(tokens)])
        acks = self.monitors["result"].cycles[-tokens:]
        append_cycles = (acks[-1] - acks[0]) / (tokens - 1)
        report = {"tokens": tokens, "head_dim": config.head_dim, "lanes": config.lanes,
                  "kv_bits": config.kv_bits, "append_latency": config.append_cycles,
                  "append_cycles_per_token": append_cycles}
        stimulus, expected = self.score(0)
        self.drivers["query"].send(stimulus["query"])
        for _ in range(config.chunks + 10):
            await FallingEdge(self.dut.clk)
        await self.run([({"command": stimulus["command"]}, expected)])
        start = self.drivers["command"].sent_cycles[-1]
        score_cycles = self.monitors["result"].cycles[-1] - start
        macs = tokens * config.head_dim
        await self.run([self.value(0)])
        start = self.drivers["command"].sent_cycles[-tokens]
        value_cycles = self.monitors["result"].cycles[-1] - start
        # per token: its code words and its scale
        read_bytes = tokens * (config.chunks * config.word_bits + config.scale_bits) / 8
        report.update({
            "score_cycles": score_cycles, "value_cycles": value_cycles,
            "score_utilization": macs / (config.lanes * score_cycles),
            "value_utilization": macs / (config.lanes * value_cycles),
            "read_bytes_per_cycle": read_bytes / score_cycles,
        })
        report["utilization"] = min(report["score_utilization"], report["value_utilization"])
        return report


    # --- coverage -----------------------------------------------------------------------
    FULL_HEAD = {Policy.NONE: "append refused (head full)",
                 Policy.WINDOW: "oldest token evicted (ring wraps)",
                 Policy.SINK_WINDOW: "oldest token past the sinks evicted (ring wraps)"}

    def coverage_bins(self):
        config = self.config
        heads = [str(head) for head in range(config.heads)]
        if config.heads < 1 << config.head_bits:
            heads.append("past the last (refused, empty)")
        return {"commands": ["append", "score", "value", "clear one head", "clear all"],
                "heads": heads,
                "full head": [f"{head}: {self.FULL_HEAD[config.policy]}"
                              for head in range(config.heads)],
                "reads": ["score of an empty head", "value: fewer weights than tokens",
                          "value: as many weights as tokens",
                          "value: more weights than tokens"],
                "K and V": ["min", "max", "all zero (scale 0)"],
                "queries": ["min", "max"], "value weights": ["0", "255"]}

    def sample(self, stimulus):
        """The commands and operands as the unit takes them, against the cache they find
        (the bench's second model, ``seen``, is fed only what was sent; a job is one
        command)."""
        config = self.config
        heads = self.seen.cache.heads
        for command in self.frames(stimulus, "command"):
            op, head = Op(int(command["op"][0])), int(command["head"][0])
            name = {Op.APPEND: "append", Op.SCORE: "score", Op.VALUE: "value"}.get(op)
            self.cover("commands", name or ("clear all" if command["all"][0]
                                            else "clear one head"))
            self.cover("heads", str(head) if head < config.heads
                       else "past the last (refused, empty)")
            if op is Op.APPEND and head < config.heads and \
                    heads[head].length == config.max_tokens:
                self.cover("full head", f"{head}: {self.FULL_HEAD[config.policy]}")
            if op is Op.VALUE:
                held = heads[head].length if head < config.heads else 0
                count = len(command["p"])
                self.cover("reads", "value: fewer weights than tokens" if count < held else
                           "value: as many weights as tokens" if count == held else
                           "value: more weights than tokens")
                for weight in ("0", "255"):
                    if (command["p"] == int(weight)).any():
                        self.cover("value weights", weight)
        low, high = config.input_range
        for token in self.frames(stimulus, "append"):
            for field in ("k", "v"):
                values = token[field].reshape(-1)[:config.head_dim]
                for end, value in (("min", low), ("max", high)):
                    if (values == value).any():
                        self.cover("K and V", end)
                if not values.any():
                    self.cover("K and V", "all zero (scale 0)")
        q_low, q_high = self.query_range()
        for query in self.frames(stimulus, "query"):
            for end, value in (("min", q_low), ("max", q_high)):
                if (query["q"] == value).any():
                    self.cover("queries", end)
        answers = unpack(result_layout(config), self.seen.feed(stimulus))
        for op, flag in zip(answers["op"], answers["flag"]):
            if op == Op.SCORE and flag:
                self.cover("reads", "score of an empty head")

def fill_jobs(bench, head: int, tokens: int, read_every: int):
    """Append ``tokens`` tokens to a head, with a score and a value read after every
    ``read_every`` appends and at the end."""
    jobs = []
    for token in range(tokens):
        jobs.append(bench.append(head))
        if (token + 1) % read_every == 0 or token == tokens - 1:
            jobs += [bench.score(head), bench.value(head)]
    return jobs


@cocotb.test()
async def fill_beyond_capacity(dut):
    """Every head filled to capacity and beyond under the config's policy, the heads
    taking turns as in decoding (each step appends a token to every head), with a score
    and a value read of one head, in turn, every max_tokens / 3 steps: the answers
    (positions and contents after wrap-around, refusals) and the status match the
    reference cache."""
    bench = KVBufferBench.from_environment(dut)
    await bench.reset()
    config = bench.config
    steps = config.max_tokens + config.max_tokens // 2 + 3
    read_every = max(1, config.max_tokens // 3)
    for start in range(0, steps, read_every):
        jobs = [bench.append(head) for step in range(start, min(start + read_every, steps))
                for head in range(config.heads)]
        head = start // read_every % config.heads
        await bench.run(jobs + [bench.score(head), bench.value(head)])
        bench.check_state()


@cocotb.test()
async def result_released_mid_append(dut):
    """A full head scored and appended to with `result` stalled until some cycle of the
    append, so that its writes meet reads which the stall holds in the pipeline (the
    code memory has one port)."""
    bench = KVBufferBench.from_environment(dut)
    await bench.reset()
    config = bench.config
    await bench.run([bench.append(0) for _ in range(config.max_tokens)])
    result, commands = bench.monitors["result"], bench.drivers["command"]
    read_cycles = config.max_tokens * config.chunks + config.latency
    for delay in range(2 * config.head_dim + 16):
        # `result` stalled from the start: the score's reads stop in the pipeline; the
        # stall ends `delay` cycles after the append's command, one of them mid-write
        # (or after as long as the read takes, if the stall holds the score's issue)
        result.stall = 1.0
        taken = len(commands.sent_cycles)

        async def release(delay=delay, taken=taken):
            for _ in range(2 * read_cycles):
                if len(commands.sent_cycles) == taken + 2:
                    break
                await FallingEdge(dut.clk)
            for _ in range(delay):
                await FallingEdge(dut.clk)
            result.stall = 0.0
        cocotb.start_soon(release())
        await bench.run([bench.score(0), bench.append(0)])
    bench.check_state()


@cocotb.test()
async def reset_mid_read(dut):
    """A reset while a score and a value read run empties the cache and loses those
    answers; nothing after it is lost."""
    bench = KVBufferBench.from_environment(dut)
    await bench.reset()
    config = bench.config
    await bench.run([bench.append(0) for _ in range(config.max_tokens)])
    for read in (bench.score(0), bench.value(0)):
        stimulus, _ = read
        for port, words in stimulus.items():
            bench.drivers[port].send(words)
        for _ in range(config.max_tokens * config.chunks // 2 + 4):
            await FallingEdge(dut.clk)
        await bench.reset()
        bench.check_state()
        await bench.run(fill_jobs(bench, 0, 3, 2), stall=0.3)
