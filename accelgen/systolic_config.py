"""Config of the systolic processing-element array (``kind: systolic``)."""

import enum
import typing
from dataclasses import dataclass

from .errors import require
from .formats.olive_codes import MANTISSA_BITS, NORMAL_TYPES
from .numbers import ceil_log2, signed_bits, value_range
from .unit import UnitConfig, parameter


class Dataflow(enum.Enum):
    OUTPUT_STATIONARY = "output_stationary"
    WEIGHT_STATIONARY = "weight_stationary"


class Encoding(enum.Enum):
    """How an operand stream carries its values."""
    INT = "int"        # integers of the operand's width
    OLIVE = "olive"    # OliVe OVP-4 codes, pairs along the reduction (docs/olive.md)


class OliveNormal(enum.Enum):
    INT = "int"
    FLINT = "flint"


class OliveProducts(enum.Enum):
    """What a PE multiplies of an OVP value."""
    SHIFT = "shift"        # its 4-bit mantissa, then a shift by the exponents (the paper's PE)
    INTEGER = "integer"    # the exact integer the edge decoder forms


@dataclass(frozen=True)
class SystolicConfig(UnitConfig):
    kind: typing.ClassVar[str] = "systolic"

    rows: int = parameter(4, "1..64", "PE rows: activations per cycle")
    cols: int = parameter(4, "1..64", "PE columns: weights per cycle")
    activation_bits: int = parameter(8, "2..8", "activation width")
    weight_bits: int = parameter(8, "2..8", "weight width")
    signed: bool = parameter(True, "bool", "both operands two's complement (true) or "
                                           "unsigned")
    dataflow: Dataflow = parameter(Dataflow.OUTPUT_STATIONARY,
                                   "`output_stationary`, `weight_stationary`", "see below")
    activation_encoding: Encoding = parameter(
        Encoding.INT, "`int`, `olive`", "activations as integers of `activation_bits`, or "
        "OliVe OVP-4 codes (see below)")
    weight_encoding: Encoding = parameter(
        Encoding.INT, "`int`, `olive`", "weights as integers of `weight_bits`, or OliVe "
        "OVP-4 codes (see below)")
    olive_normal: OliveNormal = parameter(
        OliveNormal.INT, "`int`, `flint`", "the normal values' datatype of OVP-4 operands")
    olive_products: OliveProducts = parameter(
        OliveProducts.INTEGER, "`integer`, `shift`", "what a PE multiplies of an OVP "
        "value: the integer the edge decoder forms, or its 4-bit mantissa, shifting the "
        "product (OliVe's PE; see below)")
    max_depth: int = parameter(4096, "1..2^20",
                               "longest reduction K of one output-stationary job")
    accumulator_bits: int | None = parameter(
        None, "product bits..48", "explicit accumulator width (results then wrap); by "
        "default wide enough that nothing ever wraps", shown="derived")

    def __post_init__(self):
        super().__post_init__()
        require(1 <= self.rows <= 64, "rows", f"must be an integer 1..64, got {self.rows}")
        require(1 <= self.cols <= 64, "cols", f"must be an integer 1..64, got {self.cols}")
        for name in ("activation_bits", "weight_bits"):
            bits = getattr(self, name)
            require(2 <= bits <= 8, name, f"must be an integer 2..8, got {bits}")
        require(1 <= self.max_depth <= 1 << 20, "max_depth",
                f"must be an integer 1..{1 << 20}, got {self.max_depth}")
        require(self.signed or not self.any_olive, "signed",
                "must be true with an olive operand (OVP-4 values are signed)")
        require(self.output_stationary or self.rows >= 2 or not self.any_olive, "rows",
                "must be 2..64 for a weight-stationary array with an olive operand (an "
                "OVP pair spans two rows)")
        if self.accumulator_bits is not None:
            require(self.product_bits <= self.accumulator_bits <= 48, "accumulator_bits",
                    f"must be {self.product_bits}..48 (at least one full product), "
                    f"got {self.accumulator_bits}")

    def mode_ignores(self) -> dict[str, str]:
        ignored = {}
        if not self.output_stationary:
            ignored["max_depth"] = ("weight-stationary reductions are one tile (rows) deep; "
                                    "max_depth is the output-stationary job's K")
        for which in ("activation", "weight"):
            if self.olive(which):
                ignored[f"{which}_bits"] = f"olive {which}s are 4-bit OVP codes"
        if not self.any_olive:
            ignored["olive_normal"] = ignored["olive_products"] = "no operand is olive-encoded"
        return ignored

    def olive(self, which: str) -> bool:
        """Whether the ``activation`` or ``weight`` operand is OVP-4 encoded."""
        return getattr(self, f"{which}_encoding") is Encoding.OLIVE

    @property
    def any_olive(self) -> bool:
        return self.olive("activation") or self.olive("weight")

    @property
    def beat_steps(self) -> int:
        """Reduction steps one beat carries on the stream that spreads the reduction over
        beats (operands; weight rows): two where OVP pairs lie across beats, so that a
        beat holds whole pairs."""
        paired = self.any_olive if self.output_stationary else self.olive("weight")
        return 2 if paired else 1

    @property
    def output_stationary(self) -> bool:
        return self.dataflow is Dataflow.OUTPUT_STATIONARY

    @property
    def reduction_depth(self) -> int:
        """Longest sum one output element holds: K for output-stationary (rounded up to
        whole beats), rows otherwise."""
        if self.output_stationary:
            return -(-self.max_depth // self.beat_steps) * self.beat_steps
        return self.rows

    @property
    def product_bits(self) -> int:
        if self.any_olive:
            # the widest product of the two value ranges, with its sign
            corners = [a * w for a in self.activation_range for w in self.weight_range]
            return signed_bits(min(corners), max(corners))
        # signed: -2^(a-1) * -2^(w-1) = 2^(a+w-2) still needs a+w bits with its sign
        return self.activation_bits + self.weight_bits

    def multiplier_bits(self, which: str) -> int:
        """Bits of the operand a PE multiplies: an OVP value's mantissa (it shifts the
        product by the exponents) or its integer, else the operand's width."""
        if not self.olive(which):
            return getattr(self, f"{which}_bits")
        if self.olive_products is OliveProducts.SHIFT:
            return MANTISSA_BITS
        return signed_bits(*self._value_range(which))

    @property
    def exact_accumulator_bits(self) -> int:
        return self.product_bits + ceil_log2(self.reduction_depth)

    @property
    def multipliers(self) -> int:
        return self.rows * self.cols

    @property
    def multiplier_shapes(self) -> list[tuple[int, int]]:
        """Signed operand widths of every multiplier: one per PE."""
        extra = 0 if self.signed else 1
        return [(self.multiplier_bits("activation") + extra,
                 self.multiplier_bits("weight") + extra)] * self.multipliers

    @property
    def accumulator_width(self) -> int:
        """Bits of every accumulator and result element; results wrap modulo 2^this."""
        if self.accumulator_bits is not None:
            return self.accumulator_bits
        return self.exact_accumulator_bits

    @property
    def wraps(self) -> bool:
        return self.accumulator_width < self.exact_accumulator_bits

    @property
    def activation_range(self) -> tuple[int, int]:
        return self._value_range("activation")

    @property
    def weight_range(self) -> tuple[int, int]:
        return self._value_range("weight")

    def _value_range(self, which: str) -> tuple[int, int]:
        """Inclusive (min, max) of an operand's values (an OVP value's, in units)."""
        if self.olive(which):
            return min(self.olive_type.values), max(self.olive_type.values)
        return value_range(getattr(self, f"{which}_bits"), self.signed)

    @property
    def olive_type(self):
        """The OVP normal datatype (accelgen/formats/olive_codes.py)."""
        return NORMAL_TYPES[self.olive_normal.value]

    @property
    def job_spacing(self) -> int:
        """Fewest cycles between the last beats of two output-stationary jobs: a tile's
        rows leave through one port, and a PE's result register must hold until read."""
        return max(self.rows, self.cols)

    @property
    def back_to_back_vectors(self) -> int:
        """Fewest activation vectors of weight-stationary jobs that follow each other
        without an idle input cycle: a bank is reloaded once its job's last vector has
        left the array (rows + cols - 1 cycles), and a tile takes rows cycles to load and
        one to write."""
        return 2 * self.rows + self.cols

    @property
    def result_fifo_depth(self) -> int:
        # the result FIFO reserves a tile's rows at its last beat and frees them as they
        # are read: at full rate (a tile every job_spacing cycles) the tiles reserved
        # and not yet read are the new one and those of the last latency + rows cycles
        if self.output_stationary:
            return self.rows * (1 + -(-(self.latency + self.rows) // self.job_spacing))
        return self.latency + 2  # every vector in flight has a reserved slot

    @property
    def latency(self) -> int:
        """Cycles from the input transfer (the last beat for output-stationary) to the
        first result beat on an idle, unstalled unit."""
        if self.output_stationary:
            return self.cols + 8      # input register, skew, 4 PE stages, capture, row, FIFO
        return self.rows + self.cols + 5

    @property
    def throughput(self) -> str:
        if self.output_stationary and self.beat_steps == 2:
            return (f"one operand beat (two reduction steps) every two cycles: a "
                    f"{self.rows}x{self.cols} tile over K every max(K rounded up to even, "
                    f"{self.job_spacing}) cycles, jobs back to back")
        if self.output_stationary:
            return (f"one operand beat per cycle: a {self.rows}x{self.cols} tile over K "
                    f"every max(K, {self.job_spacing}) cycles, jobs back to back")
        return "one activation vector per cycle, one result vector per cycle"
