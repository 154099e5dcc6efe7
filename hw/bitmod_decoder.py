"""Weight codes of every BitMoD datatype to the one form the PEs compute with:
w = M · 2^s, M a two's-complement integer taken a bit plane at a time (see
accelgen.formats.bitmod_datatypes).

An integer code is its own M, so it is stored as it comes; planes above its sign bit
are read as the sign bit (each row's ``top`` plane clamps the index), which sign-extends
it without a gate per weight. A float code goes through its family's table (and the
row's special value for its −0 code)."""

from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from accelgen.bitserial_config import BitSerialConfig
from accelgen.formats.bitmod_datatypes import family_datatypes


def _float_tables(config: BitSerialConfig) -> dict:
    """Per float family of the config: (code bits, M bits, [(M, s) per code]) of its
    plainest member (the variants differ only in the −0 code)."""
    tables = {}
    for family in config.datatypes:
        if family.startswith("fp"):
            members = family_datatypes(family)
            base = min(members, key=lambda datatype: datatype.planes)
            bits = max(datatype.planes for datatype in members)
            tables[family] = (base.code_bits, bits,
                              [base.split(code) for code in range(1 << base.code_bits)])
    return tables


def datatype_info_layout(config: BitSerialConfig) -> data.StructLayout:
    """What a row's selector says, once per group: its float table if any, the sign bit's
    plane, the special value a float's −0 code takes, and the steps a chunk needs as a
    thermometer (bit k: more than k steps), so that the rows' widest is an OR."""
    return data.StructLayout({
        # one bit per float family: its table (and no zero-width fields, which the
        # Verilog would declare as [-1:0])
        "floats": max(1, len(_float_tables(config))),
        "top": range(config.stored_bits),
        "special_m": signed(config.stored_bits),
        "special_s": _shift_shape(config),
        "steps": config.planes // config.bits_per_cycle,
    })


def mantissa_layout(config: BitSerialConfig) -> data.StructLayout:
    return data.StructLayout({"m": unsigned(config.stored_bits),
                              "s": _shift_shape(config)})


def _shift_shape(config: BitSerialConfig):
    return unsigned(max(1, config.max_shift.bit_length()))


def datatype_info(m, config: BitSerialConfig, selector, name: str):
    """The info of a selector (selectors past the table read as the first datatype)."""
    info = Signal(datatype_info_layout(config), name=name)
    table, floats = config.table, _float_tables(config)
    float_bit = {family: index for index, family in enumerate(floats)}
    with m.Switch(selector):
        for number in range(1 << len(selector)):
            datatype = table[number] if number < len(table) else table[0]
            if datatype.family in floats:
                special = datatype.split(1 << (datatype.code_bits - 1))
                top = floats[datatype.family][1] - 1
            else:
                special, top = (0, 0), datatype.code_bits - 1
            with m.Case(number):
                floats_bits = (1 << float_bit[datatype.family]
                               if datatype.family in float_bit else 0)
                m.d.comb += [info.floats.eq(floats_bits), info.top.eq(top),
                             info.special_m.eq(special[0]), info.special_s.eq(special[1]),
                             info.steps.eq((1 << config.cycles_per_chunk(datatype)) - 1)]
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
        m.d.comb += [self.out.m.eq(self.code), self.out.s.eq(0)]
        for index, (bits, m_bits, pairs) in enumerate(_float_tables(config).values()):
            code = self.code[:bits]
            # only M's own bits: the planes above are never read (``top`` = m_bits − 1)
            mantissa_out = self.out.m[:m_bits]
            with m.If(self.info.floats[index]):
                with m.Switch(code):
                    for value, (mantissa, shift) in enumerate(pairs):
                        with m.Case(value):
                            m.d.comb += [mantissa_out.eq(mantissa), self.out.s.eq(shift)]
                with m.If(code == 1 << (bits - 1)):
                    m.d.comb += [mantissa_out.eq(self.info.special_m),
                                 self.out.s.eq(self.info.special_s)]
        return m
