"""Config of the MatMul-free ternary matrix-vector unit (``kind: ternary``)."""

import enum
import typing
from dataclasses import dataclass

from .errors import require
from .numbers import ceil_log2, value_range
from .unit import MemoryUse, UnitConfig, parameter


class Packing(enum.Enum):
    TWO_BIT = "2bit"     # one weight per 2 bits: 00 → 0, 01 → +1, 11 → −1 (10 → −1)
    BASE3 = "base3"      # five weights per byte: Σ (w_i + 1)·3^i (243..255 → all 0)


SCALE_BITS = 16          # both scales and their product: unsigned fixed point


@dataclass(frozen=True)
class TernaryConfig(UnitConfig):
    kind: typing.ClassVar[str] = "ternary"

    lanes_in: int = parameter(4, "1..64", "activations (matrix columns) per cycle")
    lanes_out: int = parameter(4, "1..64", "outputs (matrix rows) per cycle")
    max_rows: int = parameter(64, "1..4096", "rows of the largest matrix (MLGRU: the "
                                             "hidden size)")
    max_cols: int = parameter(64, "1..4096", "columns of the largest matrix")
    activation_bits: int = parameter(8, "4..8", "signed activations")
    packing: Packing = parameter(Packing.TWO_BIT, "`2bit`, `base3`",
                                 "how weights are stored on chip")
    double_buffer: bool = parameter(True, "bool", "two weight banks: the next load fills "
                                                  "while a job computes")
    mlgru: bool = parameter(False, "bool", "the MLGRU token-mixer cell after the rescale")
    scale_fraction_bits: int = parameter(8, "0..15 (≥ 5 with MLGRU)",
                                         "F: fraction bits of both scales and of the results")
    output_bits: int = parameter(24, "F+2..40", "signed results, F fractional bits")

    def __post_init__(self):
        super().__post_init__()
        for name in ("lanes_in", "lanes_out"):
            value = getattr(self, name)
            require(1 <= value <= 64, name, f"must be an integer 1..64, got {value}")
        for name in ("max_rows", "max_cols"):
            value = getattr(self, name)
            require(1 <= value <= 4096, name, f"must be an integer 1..4096, got {value}")
        require(4 <= self.activation_bits <= 8, "activation_bits",
                f"must be an integer 4..8, got {self.activation_bits}")
        require(0 <= self.scale_fraction_bits <= SCALE_BITS - 1, "scale_fraction_bits",
                f"must be an integer 0..{SCALE_BITS - 1}, got {self.scale_fraction_bits}")
        if self.mlgru:
            # the σ table's constants need 5 fractional bits to be exact
            require(self.scale_fraction_bits >= 5, "scale_fraction_bits",
                    f"must be at least 5 with mlgru: true, got {self.scale_fraction_bits}")
        low = self.scale_fraction_bits + 2
        require(low <= self.output_bits <= 40, "output_bits",
                f"must be an integer {low}..40 (sign, one integer bit and "
                f"scale_fraction_bits), got {self.output_bits}")
        words = self.bank_words * self.banks
        require(words * self.word_bits <= 4 << 20, "max_rows",
                f"weight memory of {words} x {self.word_bits} bits is over 4 Mbit; "
                "lower max_rows, max_cols or the lanes")

    @property
    def memories(self) -> list[MemoryUse]:
        return [MemoryUse("weights", self.word_bits, self.bank_words * self.banks)]

    # --- geometry -----------------------------------------------------------------
    @property
    def weights_per_word(self) -> int:
        return self.lanes_in * self.lanes_out

    @property
    def word_bits(self) -> int:
        """Bits of one packed weight word: lanes_out x lanes_in weights, row-major."""
        if self.packing is Packing.TWO_BIT:
            return 2 * self.weights_per_word
        return 8 * self.base3_bytes

    @property
    def base3_bytes(self) -> int:
        return -(-self.weights_per_word // 5)

    @property
    def max_chunks(self) -> int:
        """Activation beats of the longest vector."""
        return -(-self.max_cols // self.lanes_in)

    @property
    def max_hidden_blocks(self) -> int:
        return -(-self.max_rows // self.lanes_out)

    @property
    def projections(self) -> int:
        """Row blocks per hidden block: W_f, W_c and W_g with the MLGRU, else one."""
        return 3 if self.mlgru else 1

    @property
    def bank_words(self) -> int:
        return self.max_hidden_blocks * self.projections * self.max_chunks

    @property
    def banks(self) -> int:
        return 2 if self.double_buffer else 1

    # --- arithmetic ---------------------------------------------------------------
    @property
    def activation_range(self) -> tuple[int, int]:
        return value_range(self.activation_bits, True)

    @property
    def chunk_sum_bits(self) -> int:
        """Exact width of one chunk's sum: |Σ t·x| <= lanes_in · 2^(bits-1)."""
        return (self.lanes_in << (self.activation_bits - 1)).bit_length() + 1

    @property
    def sum_bits(self) -> int:
        """Exact width of a row's integer sum: |Σ t·x| <= max_cols · 2^(bits-1)."""
        return (self.max_cols << (self.activation_bits - 1)).bit_length() + 1

    @property
    def output_range(self) -> tuple[int, int]:
        return value_range(self.output_bits, True)

    @property
    def multiplier_shapes(self) -> list[tuple[int, int]]:
        """Signed operand widths of every multiplier (none in the matrix datapath): the
        scale product, two per output lane (a row sum times each 16-bit half of the
        scale product), and three per lane in the MLGRU cell (a gate times a value)."""
        shapes = [(SCALE_BITS, SCALE_BITS)]    # unsigned: one DSP multiplies it as is
        # the halves are unsigned: DSPs take them as they are, without a sign bit
        shapes += [(self.sum_bits, SCALE_BITS)] * (2 * self.lanes_out)
        if self.mlgru:
            gate = self.scale_fraction_bits + 2
            shapes += [(gate, self.output_bits + 1)] * (3 * self.lanes_out)
        return shapes

    @property
    def multipliers(self) -> int:
        return len(self.multiplier_shapes)

    # --- timing -------------------------------------------------------------------
    @property
    def tree_stages(self) -> int:
        """Registered stages of the adder tree: one per adder level."""
        return ceil_log2(self.lanes_in)

    @property
    def rescale_stages(self) -> int:
        """Register stages of the BitLinear rescale, sums in to y out."""
        return 5

    @property
    def mlgru_stages(self) -> int:
        """Register stages of the MLGRU cell, the g beat in to o out."""
        return 6

    @property
    def latency(self) -> int:
        """Cycles from the beat of a one-beat vector (cols <= lanes_in) to its first
        result beat, on an idle unit with its weights loaded: issue, read, the read
        register, decode, the tree, accumulate and rescale, FIFO (2); the MLGRU cell adds
        the W_c and W_g words and its stages."""
        cell = 2 + self.mlgru_stages if self.mlgru else 0
        return 6 + self.tree_stages + self.rescale_stages + cell

    @property
    def result_fifo_depth(self) -> int:
        # 15 entries and the output register fill one 16-deep LUT RAM: enough for a
        # result every cycle up to that latency, and every second cycle beyond
        return min(self.latency + 4, 15)

    @property
    def throughput(self) -> str:
        return (f"one packed weight word ({self.lanes_out}x{self.lanes_in} ternary MACs) "
                "per cycle; a vector of C activation beats takes ceil(rows/lanes_out)*C "
                "cycles" + (" x 3 (W_f, W_c, W_g)" if self.mlgru else ""))
