"""BitMoD's weight datatypes and the one representation the hardware uses for all of
them (pure Python tables: the config, the golden model and the RTL read the same ones).

Every code of every datatype stands for an integer value w, written as w = M · 2^s with
M a two's-complement integer of ``planes`` bits and 0 <= s <= MAX_SHIFT: the PE adds
the activation shifted left by s wherever a bit plane of M is set (the top plane
subtracts), so one bit-serial datapath serves integers and the small floats alike, and
a datatype costs ``planes`` weight bits of PE time, not the width of its largest value
(FP4's ±12 takes 3 planes: 3 · 2^2)."""

from dataclasses import dataclass

from accelgen.errors import AccelgenError

MAX_SHIFT = 3            # the largest s any datatype needs (FP4-EA's 16 = 2 · 2^3)

FAMILIES = ("int2", "int3", "int4", "int8", "fp3", "fp4")

_FP_MAGNITUDES = {3: (0, 1, 2, 4), 4: (0, 1, 2, 3, 4, 6, 8, 12)}
# the value the −0 code takes: extra resolution (er) or extra asymmetry (ea)
_SPECIALS = {3: {"er": 3, "ea": 6}, 4: {"er": 10, "ea": 16}}


def _fits(value: int, bits: int) -> bool:
    return -(1 << (bits - 1)) <= value < (1 << (bits - 1))


def _split(value: int, planes: int) -> tuple[int, int] | None:
    """(M, s) with the smallest s that makes M fit ``planes`` bits, or None."""
    for shift in range(MAX_SHIFT + 1):
        if value % (1 << shift) == 0 and _fits(value >> shift, planes):
            return value >> shift, shift
    return None


@dataclass(frozen=True)
class Datatype:
    """One selectable datatype: the value of each of its ``code_bits``-bit codes."""

    name: str            # int4, fp4_er_pos, ...
    family: str          # the name a config lists: int2..int8, fp3, fp4
    code_bits: int
    values: tuple        # values[code]

    @property
    def levels(self) -> tuple:
        """The values the quantizer may choose (an integer type's most negative code,
        −2^(p−1), is left out: the types are symmetric)."""
        values = self.values
        if self.family.startswith("int"):
            values = values[:1 << (self.code_bits - 1)] + values[(1 << (self.code_bits - 1)) + 1:]
        return tuple(sorted(set(values)))

    @property
    def largest(self) -> int:
        """max |level|: the group scale is absmax / largest."""
        return max(abs(value) for value in self.levels)

    @property
    def planes(self) -> int:
        """Bit planes of M (PE cycles at one weight bit per cycle)."""
        for planes in range(1, 9):
            if all(_split(value, planes) is not None for value in self.values):
                return planes
        raise AssertionError(self.name)

    def split(self, code: int) -> tuple[int, int]:
        """(M, s) of a code: its value = M · 2^s."""
        return _split(self.values[code], self.planes)


def _integer(bits: int) -> Datatype:
    half = 1 << (bits - 1)
    return Datatype(f"int{bits}", f"int{bits}", bits,
                    tuple(code - 2 * half if code >= half else code for code in range(2 * half)))


def _float(bits: int, kind: str, sign: int) -> Datatype:
    """Sign bit on top, magnitude index below; the −0 code is the special value."""
    magnitudes = _FP_MAGNITUDES[bits]
    values = list(magnitudes) + [-magnitude for magnitude in magnitudes]
    values[len(magnitudes)] = sign * _SPECIALS[bits][kind]
    name = f"fp{bits}_{kind}_{'pos' if sign > 0 else 'neg'}"
    return Datatype(name, f"fp{bits}", bits, tuple(values))


def plain_float(bits: int) -> Datatype:
    """FP3 / FP4 without a special value (−0 is 0): the baseline the variants improve."""
    magnitudes = _FP_MAGNITUDES[bits]
    values = tuple(magnitudes) + tuple(-magnitude for magnitude in magnitudes)
    return Datatype(f"fp{bits}_plain", f"fp{bits}", bits, values)


def family_datatypes(family: str) -> list[Datatype]:
    """The selectable datatypes a config's family name brings: an integer type, or the
    four variants of a float (its plain form is each variant minus its special value,
    so never better than all of them)."""
    if family.startswith("int"):
        return [_integer(int(family[3:]))]
    bits = int(family[2:])
    return [_float(bits, kind, sign) for kind in ("er", "ea") for sign in (1, -1)]


def datatype_table(families) -> list[Datatype]:
    """The selector values of a config: its families' datatypes in the listed order."""
    families = list(families)
    unknown = [family for family in families if family not in FAMILIES]
    if unknown or not families:
        raise AccelgenError(f"BitMoD datatypes: {', '.join(map(repr, unknown)) or 'none given'}"
                            f"; allowed: {', '.join(FAMILIES)}")
    return [datatype for family in families for datatype in family_datatypes(family)]
