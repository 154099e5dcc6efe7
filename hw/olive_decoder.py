"""OliVe's pair decoder: one byte of OVP-4 codes (accelgen/formats/olive_codes.py) to the
two operands a PE multiplies, each a narrow signed mantissa and a left shift. One sits
at the array's edge per lane pair, not per PE."""

from amaranth.hdl import Cat, Module, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from accelgen.formats.olive_codes import (MANTISSA_BITS, NORMAL_TYPES, SHIFT_BITS, VICTIM,
                                          split)


class OvpPairDecoder(wiring.Component):
    """``pair`` (element 2i in bits 0-3, 2i + 1 in bits 4-7) to value[i] =
    mantissa[i] << shift[i]: a marker zeroes its own slot and makes the other abfloat.
    Each slot is a function of its 4 code bits and one flag (the partner is a marker),
    from the code tables: no 8-input lookup.

    Parameters
    ----------
    normal : str
        the normal values' datatype, ``int`` or ``flint``.
    """

    def __init__(self, normal: str):
        self._normal = NORMAL_TYPES[normal]
        super().__init__({"pair": In(8),
                          "mantissa": Out(data.ArrayLayout(signed(MANTISSA_BITS), 2)),
                          "shift": Out(data.ArrayLayout(unsigned(SHIFT_BITS), 2))})

    def elaborate(self, platform):
        m = Module()
        normal = self._normal
        codes = [self.pair[:4], self.pair[4:]]
        markers = [code == VICTIM for code in codes]
        for slot in range(2):
            with m.Switch(Cat(codes[slot], markers[1 - slot])):
                for code in range(16):
                    for partner_marker in (0, 1):
                        if code == VICTIM:
                            value = 0
                        elif partner_marker:
                            value = normal.outlier(code)
                        else:
                            value = normal.decode(code)
                        mantissa, shift = split(value)
                        with m.Case(code | partner_marker << 4):
                            m.d.comb += [self.mantissa[slot].eq(mantissa),
                                         self.shift[slot].eq(shift)]
        return m
