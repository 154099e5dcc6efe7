"""What a unit will take, estimated from its elaborated netlist before synthesis: its
memories and where yosys puts them, a LUT4 range and its flip-flops.

The unit is elaborated (a fraction of a second) and each operator of its RTLIL gets the
LUT4s a 4-input-LUT fabric spends on it: an adder, subtractor or comparison one per bit
(the carry chain: an iCE40 logic cell, half an ECP5 CCU2C); a two-way multiplexer, bitwise
logic and an equality test half a LUT per bit (a quarter for an equality with a constant:
much of it merges into its neighbours); a variable shift one per bit per stage; a
multiplier that finds no DSP a Booth array of 2.5 x a x b LUT4s. Operators of the same
inputs count once (yosys merges them). Memories go to block RAM, except small ones on
ECP5, which become LUT RAM (counted as LUT4s). Flip-flops are the bits of the registers.

The LUT4 sum is widened into a range by the smallest and largest ratio of measured LUT4
to it over the presets (BENCHMARKS.md, section fit, shows both for every preset).
"""

import math
import re
from dataclasses import dataclass

from .unit import MemoryUse

_CELL = re.compile(r"^\s*cell \$(\w+) \S+\n(.*?)^\s*end$", re.M | re.S)
_PARAMETER = re.compile(r"parameter \\(\w+) (-?\d+)")
_CONSTANT_INPUT = re.compile(r"connect \\([AB]) \d+'[01]+\n")
_OUTPUT = re.compile(r"connect \\Y \S+\n")
_PARAMETER_WIDTH = re.compile(r"parameter \\WIDTH (\d+)")
_MEMORY = re.compile(r"((?:  attribute .*\n)*)  memory width (\d+) size (\d+) (\S+)")

# the smallest and largest measured LUT4 / estimated sum over the presets, rounded out
RATIO_RANGE = (0.5, 1.7)
BOOTH_LUTS_PER_BIT_PRODUCT = 2.5
# the smallest measured / estimated flip-flops over the presets (0.68), rounded down: yosys
# packs registers into the SB_MAC16s and drops those it proves constant
FLIP_FLOPS_KEPT = 0.6
# ECP5: memories up to this size or depth go to LUT RAM (16 bits a LUT4)
LUT_RAM_BITS, LUT_RAM_DEPTH = 1024, 32


@dataclass(frozen=True)
class LogicEstimate:
    lut_low: int
    lut_high: int
    flip_flops: int


def operator_luts(rtlil_text: str) -> float:
    """The LUT4s of the netlist's operators (multipliers and memories aside)."""
    total = 0.0
    # yosys merges operators of the same inputs (amaranth writes one per use of a value)
    unique = {(module, kind, _OUTPUT.sub("", body))
              for module, text in enumerate(rtlil_text.split("\nmodule "))
              for kind, body in _CELL.findall(text)}
    for _, kind, body in unique:
        parameters = {key: int(value) for key, value in _PARAMETER.findall(body)}
        a, b = parameters.get("A_WIDTH", 0), parameters.get("B_WIDTH", 0)
        y = parameters.get("Y_WIDTH", parameters.get("WIDTH", 0))   # $mux: WIDTH
        constant = bool(_CONSTANT_INPUT.search(body))
        if kind in ("add", "sub", "neg"):
            total += y
        elif kind in ("lt", "le", "gt", "ge"):
            total += max(a, b)
        elif kind in ("eq", "ne"):
            total += max(a, b) / (4 if constant else 2)
        elif kind in ("mux", "and", "or", "xor", "xnor", "not"):
            total += y / 2
        elif kind.startswith(("reduce_", "logic_")):
            total += max(a, 1) / 3
        elif kind in ("shl", "shr", "sshl", "sshr", "shift", "shiftx") and not constant:
            total += y * min(b, max(1, math.ceil(math.log2(max(a, 2)))))
        elif kind == "mul" and (constant or min(a, b) <= 1):
            total += y / 2          # by a constant or one bit: shifts and adds, or an AND
    return total


def netlist_memories(rtlil_text: str, family: str) -> list[tuple[MemoryUse, bool]]:
    """Every memory of the netlist, and whether yosys puts it in LUT RAM: on ECP5 one of
    up to 32 words or 1 kbit not marked ``ram_style "block"`` (as in the measured builds);
    never on iCE40, which has none, nor on Gowin, whose builds use none (synth/devices.py
    ``synth_options``). ``ram_style "huge"`` marks the UP5K's SPRAM."""
    out = []
    for attributes, width, depth, name in _MEMORY.findall(rtlil_text):
        memory = MemoryUse(name.lstrip("\\"), int(width), int(depth),
                           spram='ram_style "huge"' in attributes)
        lut_ram = family == "ecp5" and 'ram_style "block"' not in attributes \
            and (memory.depth <= LUT_RAM_DEPTH or memory.bits <= LUT_RAM_BITS)
        out.append((memory, lut_ram))
    return out


def lut_ram_luts(rtlil_text: str) -> float:
    """ECP5: the LUT4s of the memories in LUT RAM (a TRELLIS_DPR16X4 holds 16 x 4 bits and
    counts as four LUT4s)."""
    return sum(memory.width * math.ceil(memory.depth / 16)
               for memory, lut_ram in netlist_memories(rtlil_text, "ecp5") if lut_ram)


def flip_flops(rtlil_text: str) -> int:
    return sum(int(width) for kind, body in _CELL.findall(rtlil_text) if kind in ("dff", "adff")
               for width in _PARAMETER_WIDTH.findall(body))


def estimate_logic(rtlil_text: str, family: str, soft_multipliers: list) -> "LogicEstimate":
    """The LUT4 range and flip-flops of a netlist on ``family`` whose multipliers
    ``soft_multipliers`` (operand widths) find no DSP."""
    total = operator_luts(rtlil_text)
    total += BOOTH_LUTS_PER_BIT_PRODUCT * sum(a * b for a, b in soft_multipliers)
    if family == "ecp5":
        total += lut_ram_luts(rtlil_text)
    low, high = RATIO_RANGE
    return LogicEstimate(math.floor(total * low), math.ceil(total * high),
                         flip_flops(rtlil_text))


def netlist_text(component, name: str, platform=None) -> str:
    """The component's RTLIL (elaborated for ``platform``: a DspTarget or None)."""
    from amaranth.back import rtlil
    return rtlil.convert(component, name=name, platform=platform)
