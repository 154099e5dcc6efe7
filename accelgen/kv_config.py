"""Config of the on-chip KV-cache buffer (``kind: kv_buffer``)."""

import enum
import typing
from dataclasses import dataclass

from .errors import require
from .numbers import ceil_log2, value_range
from .unit import MemoryUse, UnitConfig, parameter

QUERY_BITS = 8           # q elements: signed
WEIGHT_BITS = 16         # p_t: unsigned, in units of 2^-16 (a softmax probability)
OPERAND_BITS = 16        # the lanes' multipliers take a code times a signed 16-bit operand
POSITION_BITS = 32       # absolute token positions (since the head's last clear)
DEFAULT_SINKS = 4        # attention sinks by default (StreamingLLM keeps four)
MAX_STORED_BITS = 16 << 20   # a ceiling far above any FPGA this flow targets
SPRAM_BITS = 4 * 256 << 10   # the iCE40 UP5K: four 256-kbit SPRAM blocks


class Policy(enum.Enum):
    NONE = "none"                  # a full head refuses appends
    WINDOW = "window"              # ring of the last max_tokens tokens
    SINK_WINDOW = "sink_window"    # the first sink_tokens kept, a ring of the rest


class Memory(enum.Enum):
    BRAM = "bram"                  # ECP5 DP16KD / iCE40 EBR
    SPRAM = "spram"                # the iCE40 UP5K's single-port 256 kbit blocks


@dataclass(frozen=True)
class KVBufferConfig(UnitConfig):
    kind: typing.ClassVar[str] = "kv_buffer"

    heads: int = parameter(2, "1..64", "heads, each with its own tokens and counters")
    head_dim: int = parameter(64, "1..1024", "elements of a K or V vector")
    max_tokens: int = parameter(256, "2..65536", "token slots per head")
    kv_bits: int = parameter(4, "4, 8", "code width: symmetric, −qmax..qmax, "
                                        "qmax = 2^(kv_bits−1) − 1")
    input_bits: int = parameter(16, "16, 8", "K and V arrive as signed int16 or int8")
    lanes: int = parameter(8, "1..min(32, head_dim)", "codes read and MACs per cycle")
    policy: Policy = parameter(Policy.SINK_WINDOW, "`none`, `window`, `sink_window`",
                               "what a full head does with a new token")
    sink_tokens: int | None = parameter(None, "1..max_tokens−1 with `sink_window`, else 0",
                                        "first tokens kept for ever",
                                        shown="4 with `sink_window` (at most max_tokens − 1), "
                                              "else 0")
    memory: Memory = parameter(Memory.BRAM, "`bram`, `spram`",
                               "the codes in block RAM, or (iCE40 UP5K) SPRAM")

    def __post_init__(self):
        super().__post_init__()
        if self.sink_tokens is None:
            # the default follows the policy: only sink_window keeps sinks
            object.__setattr__(self, "sink_tokens",
                               min(DEFAULT_SINKS, self.max_tokens - 1)
                               if self.policy is Policy.SINK_WINDOW else 0)
        for name, low, top in (("heads", 1, 64), ("head_dim", 1, 1024),
                               ("max_tokens", 2, 1 << 16), ("lanes", 1, 32)):
            value = getattr(self, name)
            require(low <= value <= top, name, f"must be an integer {low}..{top}, got {value}")
        require(self.lanes <= self.head_dim, "lanes",
                f"must be at most head_dim ({self.head_dim}), got {self.lanes}")
        require(self.kv_bits in (4, 8), "kv_bits", f"must be 4 or 8, got {self.kv_bits}")
        require(self.input_bits in (8, 16), "input_bits",
                f"must be 8 (int8) or 16 (int16), got {self.input_bits}")
        if self.policy is Policy.SINK_WINDOW:
            require(1 <= self.sink_tokens < self.max_tokens, "sink_tokens",
                    f"must be 1..{self.max_tokens - 1} (max_tokens - 1) with policy "
                    f"sink_window, got {self.sink_tokens}")
        else:
            require(self.sink_tokens == 0, "sink_tokens",
                    f"must be 0 unless policy is sink_window (policy {self.policy.value}), "
                    f"got {self.sink_tokens}")
        stored = self.code_bits_stored + self.scale_bits_stored
        require(stored <= MAX_STORED_BITS, "max_tokens",
                f"the cache would hold {stored / (1 << 20):.1f} Mbit (heads x max_tokens x "
                f"head_dim x 2 x kv_bits, and scales); at most "
                f"{MAX_STORED_BITS >> 20} Mbit (the largest ECP5 has 3.7)")
        if self.memory is Memory.SPRAM:
            require(self.code_bits_stored <= SPRAM_BITS, "memory",
                    f"spram: the codes take {self.code_bits_stored / (1 << 10):.0f} kbit; the "
                    f"UP5K has {SPRAM_BITS >> 10} kbit of SPRAM (4 x 256 kbit)")

    # --- quantization ---------------------------------------------------------------
    @property
    def qmax(self) -> int:
        """Codes are -qmax..qmax: symmetric, so -2^(kv_bits-1) is never used."""
        return value_range(self.kv_bits, True)[1]

    @property
    def input_range(self) -> tuple[int, int]:
        return value_range(self.input_bits, True)

    @property
    def scale_bits(self) -> int:
        """The stored scale is the vector's absmax, |x| clipped to 2^(input_bits-1) - 1
        (inputs are taken as symmetric): unsigned input_bits - 1 bits."""
        return self.input_bits - 1

    @property
    def divider_stages(self) -> int:
        """Quotient bits of |code| = floor((2·qmax·|x| + a) / 2a): one stage each."""
        return self.kv_bits - 1

    @property
    def weight_shift(self) -> int:
        """w_t = p_t·a_t / 2^weight_shift (rounded half up) fits a signed 16-bit operand."""
        product_bits = WEIGHT_BITS + self.scale_bits
        return max(0, product_bits - (OPERAND_BITS - 1))

    # --- geometry -------------------------------------------------------------------
    @property
    def chunks(self) -> int:
        """Words of `lanes` codes per K (or V) vector; the last one is zero-padded."""
        return -(-self.head_dim // self.lanes)

    @property
    def word_bits(self) -> int:
        return self.lanes * self.kv_bits

    @property
    def rows(self) -> int:
        """Token slots over all heads; slot t of head h is row h·max_tokens + t."""
        return self.heads * self.max_tokens

    @property
    def memories(self) -> list[MemoryUse]:
        return [MemoryUse("codes", self.word_bits, self.code_depth,
                          spram=self.memory is Memory.SPRAM),
                MemoryUse("scales", self.scale_bits, self.rows * 2)]

    @property
    def code_depth(self) -> int:
        """Code memory words: per row its K chunks, then its V chunks."""
        return self.rows * 2 * self.chunks

    @property
    def code_bits_stored(self) -> int:
        return self.code_depth * self.word_bits

    @property
    def scale_bits_stored(self) -> int:
        return self.rows * 2 * self.scale_bits

    @property
    def ring_base(self) -> int:
        """The first slot of the ring (slots before it hold the sinks)."""
        return self.sink_tokens

    @property
    def head_bits(self) -> int:
        return max(1, ceil_log2(self.heads))

    # --- arithmetic -----------------------------------------------------------------
    @property
    def _dot_bound(self) -> int:
        """The largest |Σ_i q_i·c_i| over a vector."""
        return self.head_dim * (1 << (QUERY_BITS - 1)) * self.qmax

    @property
    def dot_bits(self) -> int:
        """Σ_i q_i·c_i over a vector, exact."""
        return self._dot_bound.bit_length() + 1

    @property
    def score_bits(self) -> int:
        """dot × a_t, exact: q·k̂_t times qmax."""
        return (self._dot_bound * ((1 << self.scale_bits) - 1)).bit_length() + 1

    @property
    def value_bits(self) -> int:
        """Σ_t w_t·c_t,i over a full head, exact."""
        bound = self.max_tokens * ((1 << (OPERAND_BITS - 1)) - 1) * self.qmax
        return bound.bit_length() + 1

    @property
    def result_bits(self) -> int:
        return max(self.score_bits, self.value_bits)

    @property
    def multiplier_shapes(self) -> list[tuple[int, int]]:
        """Signed operand widths: one code × operand per lane, p_t × a_t once per token,
        and the score's dot × a_t once per token."""
        return [(OPERAND_BITS, self.kv_bits)] * self.lanes + [
            (WEIGHT_BITS + 1, self.scale_bits + 1), (self.dot_bits, self.scale_bits + 1)]

    @property
    def multipliers(self) -> int:
        return len(self.multiplier_shapes)

    # --- timing ---------------------------------------------------------------------
    @property
    def tree_stages(self) -> int:
        return ceil_log2(self.lanes)

    @property
    def read_stages(self) -> int:
        """Registers from a read's issue to the score's emit: the addresses, the memory,
        its output, w_t, the product, the lanes' tree, the chunk sum, the scaled score."""
        return 5 + self.tree_stages + 2

    @property
    def value_stage(self) -> int:
        """The read stage at which a weighted-value job's products leave for the
        accumulators (earlier than a score's answer: see read_stages)."""
        return 6

    @property
    def latency(self) -> int:
        """Cycles from a score command's transfer (its q already loaded, one token held
        with head_dim <= lanes) to its result beat on an idle unit: four cycles of setup
        (the walk's rows, positions and addresses), the issue, the read stages, the
        output register."""
        return 4 + 1 + self.read_stages + 1

    @property
    def append_cycles(self) -> int:
        """Cycles an append takes with no stalls, from its command to its ack: the
        elements enter staging one per cycle (K and V side by side), then leave through
        the divider one per cycle (K's, then V's); the ack follows the read pipeline."""
        return 3 * self.head_dim + self.divider_stages + self.read_stages + 10

    @property
    def slowest_answer(self) -> int:
        return max(self.latency, self.append_cycles)

    @property
    def throughput(self) -> str:
        return (f"score and weighted-value reads: {self.lanes} MACs per cycle, one "
                f"{self.word_bits}-bit code word per cycle; an append quantizes one "
                "element per cycle")
