"""Config of the BitMoD-style bit-serial mixture-of-datatype unit (``kind: bitserial``)."""

import typing
from dataclasses import dataclass

from .errors import require
from .formats.bitmod_datatypes import FAMILIES, datatype_table, family_datatypes
from .numbers import ceil_log2, value_range
from .unit import MemoryUse, UnitConfig, parameter

SCALE_BITS = 8           # a group's scale: unsigned integer, times a per-row factor


@dataclass(frozen=True)
class BitSerialConfig(UnitConfig):
    kind: typing.ClassVar[str] = "bitserial"

    pes: int = parameter(4, "1..64", "PEs: output channels (matrix rows) in parallel")
    lanes: int = parameter(8, "1..64", "weights per PE per cycle (matrix columns of a "
                                       "chunk)")
    bits_per_cycle: int = parameter(1, "1, 2", "weight bit planes a PE takes per cycle")
    group_size: int = parameter(128, "multiple of `lanes`, ≤ 4096",
                                "weights sharing a datatype and a scale")
    datatypes: tuple[str, ...] = parameter(FAMILIES, "list of `int2 int3 int4 int8 fp3 fp4`",
                                           "the families a group may choose from",
                                           shown="all six")
    activation_bits: int = parameter(8, "2..8", "signed activations")
    max_groups: int = parameter(4, "1..1024", "groups of the longest row: "
                                              "`max_cols = max_groups × group_size`")
    output_bits: int = parameter(32, "2..64", "signed results")
    output_shift: int = parameter(0, "0..(exact width − 1)",
                                  "results are Σ / 2^output_shift, rounded half up, saturated")

    def __post_init__(self):
        super().__post_init__()
        for name, top in (("pes", 64), ("lanes", 64), ("max_groups", 1024)):
            value = getattr(self, name)
            require(1 <= value <= top, name, f"must be an integer 1..{top}, got {value}")
        require(self.bits_per_cycle in (1, 2), "bits_per_cycle",
                f"must be 1 or 2, got {self.bits_per_cycle}")
        require(self.lanes <= self.group_size <= 4096 and self.group_size % self.lanes == 0,
                "group_size", f"must be a multiple of lanes ({self.lanes}) up to 4096, "
                              f"got {self.group_size}")
        require(len(self.datatypes) > 0, "datatypes",
                f"must list at least one of {', '.join(FAMILIES)}")
        for family in self.datatypes:
            require(family in FAMILIES, "datatypes",
                    f"unknown datatype {family!r}; allowed: {', '.join(FAMILIES)}")
        require(len(set(self.datatypes)) == len(self.datatypes), "datatypes",
                f"lists a datatype twice: {list(self.datatypes)}")
        require(2 <= self.activation_bits <= 8, "activation_bits",
                f"must be an integer 2..8, got {self.activation_bits}")
        require(0 <= self.output_shift < self.row_sum_bits, "output_shift",
                f"must be an integer 0..{self.row_sum_bits - 1}, got {self.output_shift}")
        require(2 <= self.output_bits <= 64, "output_bits",
                f"must be an integer 2..64, got {self.output_bits}")

    # --- datatypes ----------------------------------------------------------------
    @property
    def table(self) -> list:
        """The Datatype of each selector value (selectors past the end read as 0)."""
        return datatype_table(self.datatypes)

    @property
    def selector_bits(self) -> int:
        return max(1, ceil_log2(len(self.table)))

    @property
    def code_bits(self) -> int:
        """Width of a weight's code field: the widest datatype's (narrower codes sit in
        its low bits)."""
        return max(datatype.code_bits for datatype in self.table)

    @property
    def planes(self) -> int:
        """Bit planes of the widest M, rounded up to whole cycles."""
        widest = max(datatype.planes for datatype in self.table)
        return -(-widest // self.bits_per_cycle) * self.bits_per_cycle

    @property
    def max_shift(self) -> int:
        return max(datatype.split(code)[1] for datatype in self.table
                   for code in range(1 << datatype.code_bits))

    def cycles_per_chunk(self, datatype) -> int:
        return -(-datatype.planes // self.bits_per_cycle)

    def group_cycles(self, datatype) -> int:
        """Cycles of a whole group of one datatype: its chunks' steps, but no fewer
        than the dequantizer's scale_cycles."""
        return max(self.chunks_per_group * self.cycles_per_chunk(datatype), self.scale_cycles)

    @property
    def largest_weight(self) -> int:
        """The largest |value| any code stands for."""
        return max(abs(value) for datatype in self.table for value in datatype.values)

    # --- geometry -----------------------------------------------------------------
    @property
    def chunks_per_group(self) -> int:
        return self.group_size // self.lanes

    @property
    def memories(self) -> list[MemoryUse]:
        # two vector slots (hw/vector_buffer.py), a power of two of chunks each
        slot = 1 << (self.max_chunks - 1).bit_length()
        return [MemoryUse("vectors", self.lanes * self.activation_bits, 2 * slot)]

    @property
    def max_cols(self) -> int:
        return self.max_groups * self.group_size

    @property
    def max_chunks(self) -> int:
        return self.max_groups * self.chunks_per_group

    # --- arithmetic ---------------------------------------------------------------
    @property
    def activation_range(self) -> tuple[int, int]:
        return value_range(self.activation_bits, True)

    @property
    def shifted_bits(self) -> int:
        """An activation times 2^s."""
        return self.activation_bits + self.max_shift

    @property
    def plane_sum_bits(self) -> int:
        """One bit plane of a chunk: lanes shifted activations, added."""
        return self.shifted_bits + ceil_log2(self.lanes)

    @property
    def chunk_bits(self) -> int:
        """The chunk's sum while its planes come in (|M| <= 2^(planes-1))."""
        bound = self.lanes << (self.planes - 1 + self.shifted_bits - 1)
        return bound.bit_length() + 1

    @property
    def group_sum_bits(self) -> int:
        """A group's exact integer partial sum Σ w·x."""
        bound = (self.group_size * self.largest_weight) << (self.activation_bits - 1)
        return bound.bit_length() + 1

    @property
    def row_sum_bits(self) -> int:
        """Σ over a row's groups of scale · partial sum, exact."""
        bound = ((self.max_cols * self.largest_weight) << (self.activation_bits - 1)) * \
            ((1 << SCALE_BITS) - 1)
        return bound.bit_length() + 1

    @property
    def output_range(self) -> tuple[int, int]:
        return value_range(self.output_bits, True)

    @property
    def multiplier_shapes(self) -> list[tuple[int, int]]:
        """None: weights are taken bit by bit and scales by shift-and-add."""
        return []

    @property
    def multipliers(self) -> int:
        return 0

    # --- timing -------------------------------------------------------------------
    @property
    def tree_stages(self) -> int:
        return ceil_log2(self.lanes)

    @property
    def scale_cycles(self) -> int:
        """The dequantizer's cycles per group: one scale bit each; a group that
        computes in fewer cycles waits for it."""
        return SCALE_BITS

    @property
    def dot_stages(self) -> int:
        """Cycles of the bit-plane dot products from a step to its partial sums: the
        plane, the lanes' tree, the chunk and group sums."""
        return self.tree_stages + 4

    @property
    def scaler_stages(self) -> int:
        """Cycles of the dequantizer from a group's start to its scaled sum: one per
        scale bit, then the add."""
        return SCALE_BITS + 2

    @property
    def stored_bits(self) -> int:
        """Bits of a weight as the PE holds it: an integer's code, or a float's M (as
        wide as its family's widest variant)."""
        return max(family_datatypes(family)[0].code_bits if family.startswith("int") else
                   max(datatype.planes for datatype in family_datatypes(family))
                   for family in self.datatypes)

    @property
    def latency(self) -> int:
        """Cycles from the weight beat of a one-chunk row of a one-plane datatype (the
        vector already loaded) to its result beat on an idle unit: beat register, the
        dot products, the dequantizer, FIFO."""
        return 4 + self.dot_stages + self.scaler_stages

    @property
    def result_fifo_depth(self) -> int:
        return 8

    @property
    def throughput(self) -> str:
        return (f"{self.pes}x{self.lanes} weights every ceil(planes/{self.bits_per_cycle}) "
                "cycles (planes per datatype: " +
                ", ".join(f"{d.name} {d.planes}" for d in self.table) +
                f"); a group takes at least {SCALE_BITS} cycles (its scale's bits)")
