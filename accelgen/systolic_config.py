"""Config of the systolic processing-element array (``kind: systolic``)."""

import enum
import typing
from dataclasses import dataclass

from .errors import require
from .numbers import ceil_log2, value_range
from .unit import UnitConfig, parameter


class Dataflow(enum.Enum):
    OUTPUT_STATIONARY = "output_stationary"
    WEIGHT_STATIONARY = "weight_stationary"


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
        if self.accumulator_bits is not None:
            require(self.product_bits <= self.accumulator_bits <= 48, "accumulator_bits",
                    f"must be {self.product_bits}..48 (at least one full product), "
                    f"got {self.accumulator_bits}")

    def mode_ignores(self) -> dict[str, str]:
        if self.output_stationary:
            return {}
        return {"max_depth": "weight-stationary reductions are one tile (rows) deep; "
                             "max_depth is the output-stationary job's K"}

    @property
    def output_stationary(self) -> bool:
        return self.dataflow is Dataflow.OUTPUT_STATIONARY

    @property
    def reduction_depth(self) -> int:
        """Longest sum one output element holds: K for output-stationary, rows otherwise."""
        return self.max_depth if self.output_stationary else self.rows

    @property
    def product_bits(self) -> int:
        # signed: -2^(a-1) * -2^(w-1) = 2^(a+w-2) still needs a+w bits with its sign
        return self.activation_bits + self.weight_bits

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
        return [(self.activation_bits + extra, self.weight_bits + extra)] * self.multipliers

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
        return value_range(self.activation_bits, self.signed)

    @property
    def weight_range(self) -> tuple[int, int]:
        return value_range(self.weight_bits, self.signed)

    @property
    def job_spacing(self) -> int:
        """Fewest cycles between the last beats of two output-stationary jobs: a tile's
        rows leave through one port, and a PE's result register must hold until read."""
        return max(self.rows, self.cols)

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
        if self.output_stationary:
            return (f"one operand beat per cycle: a {self.rows}x{self.cols} tile over K "
                    f"every max(K, {self.job_spacing}) cycles, jobs back to back")
        return "one activation vector per cycle, one result vector per cycle"
