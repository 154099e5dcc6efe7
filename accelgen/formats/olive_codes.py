"""OliVe's outlier-victim pair (OVP) codes at 4 bits (ISCA 2023; reference quantizer:
clevercool/ANT-Quantization, olive_quantization/antquant/quant_modules.py), as pure
Python tables that the golden model, the PE array's pair decoders and the docs share.

Values go in pairs along the reduction dimension, one 4-bit code each, 8 bits a pair.
A normal value is one of 15 levels; the code 1000₂ is the *victim marker*. When a pair
holds an outlier, its partner (the victim) is pruned to 0 and stores the marker, and the
outlier's own code is read as *abfloat*: sign + a 3-bit index k = 1..7 of the magnitudes
(2 + (k & 1)) · 2^((k >> 1) + bias), which start just above the normal range.

Every code decodes to an exact integer in units of the normal grid's finest step
("units"), written as a (mantissa, shift) pair: value = mantissa << shift, mantissa a
small signed integer. The normal datatypes:

- ``int``: two's complement −7..7, the reference's int grid (its codebook times 4).
  Outliers (bias 2): ±12, 16, 24, 32, 48, 64, 96 units.
- ``flint``: sign + 3-bit index of the magnitudes 0, 1, 2, 3, 4, 6, 8, 16 (ANT's 4-bit
  signed flint, the reference's grid divided by 2). Outliers (bias 3): ±24 .. ±192.

In the reference's grid units the normal range ends at 28 (int) or 32 (flint), the
outliers start at 48 and end at 384, and a value counts as an outlier above 32.
"""

from dataclasses import dataclass

VICTIM = 0b1000          # the marker code of a pruned victim
ABFLOAT_INDICES = range(1, 8)


@dataclass(frozen=True)
class NormalType:
    """One of the datatypes normal values use."""

    name: str
    grid_unit: int           # reference grid units per integer unit
    abfloat_bias: int        # outlier k: (2 + (k & 1)) << ((k >> 1) + abfloat_bias)
    magnitudes: tuple        # of codes 1..7 (int) / indices 1..7 (flint), in units

    def decode(self, code: int) -> int:
        """A normal code's value in units (not the marker)."""
        assert 0 <= code < 16 and code != VICTIM
        if self.name == "int":
            return code - 16 if code & 0b1000 else code
        magnitude = self.magnitudes[(code & 0b111) - 1] if code & 0b111 else 0
        return -magnitude if code & 0b1000 else magnitude

    def outlier(self, code: int) -> int:
        """An outlier code's value in units (sign + abfloat index; index 0, which the
        encoder never writes, decodes to 0)."""
        index = code & 0b111
        if index == 0:
            return 0
        magnitude = (2 + (index & 1)) << ((index >> 1) + self.abfloat_bias)
        return -magnitude if code & 0b1000 else magnitude

    @property
    def largest_normal(self) -> int:
        """The normal grid's largest level, in the reference's grid units."""
        return max(self.normal_values) * self.grid_unit

    @property
    def normal_values(self) -> list[int]:
        """Every normal level in units, ascending."""
        return sorted({self.decode(code) for code in range(16) if code != VICTIM})

    @property
    def values(self) -> list[int]:
        """Every value a code stands for, normal and outlier, in units."""
        return self.normal_values + self.outlier_values

    @property
    def outlier_values(self) -> list[int]:
        return sorted(self.outlier(sign | index) for sign in (0, 0b1000)
                      for index in ABFLOAT_INDICES)

    def code_of(self, value: int, outlier: bool) -> int:
        """The code of a value in units (a level of the normal or the outlier grid)."""
        for code in range(16):
            if code == VICTIM or (outlier and code & 0b111 == 0):
                continue
            if (self.outlier(code) if outlier else self.decode(code)) == value:
                return code
        raise ValueError(f"{value} is no {'outlier' if outlier else 'normal'} "
                         f"{self.name} level")


NORMAL_TYPES = {
    "int": NormalType("int", grid_unit=4, abfloat_bias=2, magnitudes=tuple(range(1, 8))),
    "flint": NormalType("flint", grid_unit=2, abfloat_bias=3,
                        magnitudes=(1, 2, 3, 4, 6, 8, 16)),
}

#: the reference's outlier threshold, in its grid units: above it a value is an outlier
OUTLIER_THRESHOLD = 32


def decode_pair(normal: NormalType, low: int, high: int) -> tuple[int, int]:
    """The two values (units) of a pair's codes: a marker zeroes its own slot and makes
    the other an outlier. Two markers (never encoded) decode to zeros."""
    if low == VICTIM and high == VICTIM:
        return 0, 0
    if low == VICTIM:
        return 0, normal.outlier(high)
    if high == VICTIM:
        return normal.outlier(low), 0
    return normal.decode(low), normal.decode(high)


def split(value: int) -> tuple[int, int]:
    """(mantissa, shift) of a value in units with the narrowest mantissa: what a PE
    multiplies and how far it shifts the product."""
    shift = 0
    while value and value % 2 == 0:
        value //= 2
        shift += 1
    return value, shift


def _operand_bits() -> tuple[int, int]:
    """The signed mantissa and unsigned shift widths that hold every value's split."""
    splits = [split(value) for normal in NORMAL_TYPES.values()
              for value in normal.values]
    mantissa = max(abs(mantissa) for mantissa, _ in splits)
    return mantissa.bit_length() + 1, max(shift for _, shift in splits).bit_length()


#: what a pair decoder gives a PE for each value (hw/olive_decoder.py)
MANTISSA_BITS, SHIFT_BITS = _operand_bits()
