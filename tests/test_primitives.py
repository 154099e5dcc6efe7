"""hw/dsp.py's RegisteredMultiplier on each DSP primitive, simulated with the cell models
the post-synthesis regressions use (Yosys's SB_MAC16, our MULT18X18D): every operand pair
at small widths for every signedness, random pairs at the DSP's full width, each product
checked two cycles after its operands."""

import os
import subprocess

import numpy as np
import pytest
from amaranth.back import verilog
from amaranth.hdl import Shape, signed, unsigned

from accelgen.hw.dsp import DSP_OPERAND_BITS, DspTarget, RegisteredMultiplier
from accelgen.sim.post_synthesis import cell_models
from accelgen.tools import verilator_environment

# a new operand pair every cycle; the product of the pair of two cycles before is printed
TESTBENCH = """
module tb;
  reg clk = 0;
  reg [{a_bits}-1:0] a [0:{count}-1];
  reg [{b_bits}-1:0] b [0:{count}-1];
  reg [{a_bits}-1:0] a_in = 0;
  reg [{b_bits}-1:0] b_in = 0;
  wire [{p_bits}-1:0] p;
  integer cycle;
  dut unit(.clk(clk), .rst(1'b0), .a(a_in), .b(b_in), .p(p));
  initial begin
    $readmemh("a.hex", a);
    $readmemh("b.hex", b);
    for (cycle = 0; cycle < {count} + 2; cycle = cycle + 1) begin
      if (cycle < {count}) begin a_in = a[cycle]; b_in = b[cycle]; end
      #5 clk = 1; #5 clk = 0;
      if (cycle >= 1) $display("%h", p);
    end
    $finish;
  end
endmodule
"""


def products(family: str | None, a_shape: Shape, b_shape: Shape, a, b, work) -> np.ndarray:
    """What the multiplier (on ``family``'s DSP, generic RTL for None) gives for each
    operand pair, read two cycles after the pair went in."""
    dut = RegisteredMultiplier(a_shape, b_shape)
    target = DspTarget(family, 1) if family else None
    work.mkdir(parents=True, exist_ok=True)
    (work / "dut.v").write_text(verilog.convert(dut, name="dut", platform=target))
    if target is not None:
        assert target.claimed, "the multiplier took no DSP"
    p_bits = dut.p.shape().width
    (work / "tb.v").write_text(TESTBENCH.format(a_bits=a_shape.width, b_bits=b_shape.width,
                                                p_bits=p_bits, count=len(a)))
    for name, values, width in (("a", a, a_shape.width), ("b", b, b_shape.width)):
        (work / f"{name}.hex").write_text("".join(f"{int(v) & ((1 << width) - 1):x}\n"
                                                  for v in values))
    models, includes = cell_models(family) if family else ([], [])
    env = {**os.environ, **verilator_environment()}
    subprocess.run(["verilator", "--binary", "-Wno-fatal", "-CFLAGS", "-fcoroutines",
                    "--top-module", "tb", "-o", "simv", "tb.v", "dut.v",
                    *map(str, models), *(f"-I{folder}" for folder in includes)],
                   cwd=work, env=env, check=True, capture_output=True)
    lines = subprocess.run(["obj_dir/simv"], cwd=work, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    # the line printed after clock edge c holds the product of the pair of edge c - 1
    words = [int(line, 16) for line in lines if not line.startswith("-")][:len(a)]
    got = np.array(words, dtype=object)
    if dut.p.shape().signed:
        got = np.where(got >= 1 << (p_bits - 1), got - (1 << p_bits), got)
    return got


def operand_range(shape: Shape) -> np.ndarray:
    low = -(1 << (shape.width - 1)) if shape.signed else 0
    return np.arange(low, low + (1 << shape.width))


SIGNEDNESS = [(signed, signed), (signed, unsigned), (unsigned, signed), (unsigned, unsigned)]


@pytest.mark.parametrize("family", ["ecp5", "ice40"])
@pytest.mark.parametrize("a_kind,b_kind", SIGNEDNESS,
                         ids=[f"{a.__name__}-{b.__name__}" for a, b in SIGNEDNESS])
def test_every_small_product_is_exact(family, a_kind, b_kind, tmp_path):
    a_shape, b_shape = a_kind(5), b_kind(4)
    a, b = np.meshgrid(operand_range(a_shape), operand_range(b_shape))
    a, b = a.ravel(), b.ravel()
    got = products(family, a_shape, b_shape, a, b, tmp_path)
    assert list(got) == list(a.astype(object) * b.astype(object))


@pytest.mark.parametrize("family", ["ecp5", "ice40"])
def test_random_full_width_products_are_exact(family, tmp_path):
    bits = DSP_OPERAND_BITS[family]
    rng = np.random.default_rng(5)
    for a_shape, b_shape in ((signed(bits), signed(bits)), (unsigned(bits), signed(bits))):
        a = np.concatenate([operand_range(a_shape)[[0, -1]],
                            rng.choice(operand_range(a_shape), 500)])
        b = np.concatenate([operand_range(b_shape)[[-1, 0]],
                            rng.choice(operand_range(b_shape), 500)])
        got = products(family, a_shape, b_shape, a, b,
                       tmp_path / f"{a_shape.signed}-{b_shape.signed}")
        assert list(got) == list(a.astype(object) * b.astype(object)), (a_shape, b_shape)


def test_generic_and_fallback_multipliers_keep_the_latency(tmp_path):
    """Without a target, and beyond the device's DSPs, the same two register stages."""
    a_shape, b_shape = signed(5), unsigned(3)
    a, b = np.meshgrid(operand_range(a_shape), operand_range(b_shape))
    a, b = a.ravel(), b.ravel()
    assert list(products(None, a_shape, b_shape, a, b, tmp_path)) == \
        list(a.astype(object) * b.astype(object))
    full = DspTarget("ice40", 0)
    assert not full.claim(4, 4) and not DspTarget("ice40", 1).claim(17, 4)
