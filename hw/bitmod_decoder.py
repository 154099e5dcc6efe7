"""Weight codes of every BitMoD datatype to the one form the PEs compute with:
w = M · 2^s, M a ``config.planes``-bit two's-complement integer (see
golden.bitmod_datatypes)."""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from accelgen.bitserial_config import BitSerialConfig
from accelgen.golden.bitmod_datatypes import family_datatypes


def _formats(config: BitSerialConfig) -> list:
    """The code formats of the config's families: per family, the (M, s) of each code
    of its plainest member (a float's variants differ only in the −0 code)."""
    formats = []
    for family in config.datatypes:
        members = family_datatypes(family)
        base = min(members, key=lambda datatype: datatype.planes)
        formats.append((family, base.code_bits,
                        [base.split(code) for code in range(1 << base.code_bits)]))
    return formats


def datatype_info_layout(config: BitSerialConfig) -> data.StructLayout:
    """What a row's selector says, once per group: the code format, the special value
    a float's −0 code takes, and the cycles a chunk needs."""
    return data.StructLayout({
        "format": range(len(config.datatypes)),
        "special": 1,
        "special_m": signed(config.planes),
        "special_s": range(config.max_shift + 1),
        "cycles": range(config.planes // config.bits_per_cycle + 1),
    })


def mantissa_layout(config: BitSerialConfig) -> data.StructLayout:
    return data.StructLayout({"m": signed(config.planes), "s": range(config.max_shift + 1)})


def datatype_info(m, config: BitSerialConfig, selector, name: str):
    """The info of a selector (selectors past the table read as the first datatype)."""
    info = Signal(datatype_info_layout(config), name=name)
    table = config.table
    format_of = {family: index for index, family in enumerate(config.datatypes)}
    with m.Switch(selector):
        for number in reversed(range(1 << len(selector))):
            datatype = table[number] if number < len(table) else table[0]
            special = datatype.family.startswith("fp")
            code = 1 << (datatype.code_bits - 1)
            m_value, s_value = datatype.split(code) if special else (0, 0)
            with m.Case(number):
                m.d.comb += [info.format.eq(format_of[datatype.family]),
                             info.special.eq(special),
                             info.special_m.eq(m_value), info.special_s.eq(s_value),
                             info.cycles.eq(config.cycles_per_chunk(datatype))]
    return info


class CodeDecoder(wiring.Component):
    """One weight's code, under its row's datatype info, to (M, s); combinational."""

    def __init__(self, config: BitSerialConfig):
        self._config = config
        super().__init__({
            "code": In(config.code_bits),
            "info": In(datatype_info_layout(config)),
            "out": Out(mantissa_layout(config)),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        with m.Switch(self.info.format):
            for index, (family, bits, pairs) in enumerate(_formats(config)):
                code = self.code[:bits]
                with m.Case(index):
                    if family.startswith("int"):
                        m.d.comb += [self.out.m.eq(code.as_signed()), self.out.s.eq(0)]
                        continue
                    with m.Switch(code):
                        for value, (mantissa, shift) in enumerate(pairs):
                            with m.Case(value):
                                m.d.comb += [self.out.m.eq(mantissa), self.out.s.eq(shift)]
                    with m.If(self.info.special & (code == 1 << (bits - 1))):
                        m.d.comb += [self.out.m.eq(self.info.special_m),
                                     self.out.s.eq(self.info.special_s)]
        return m
