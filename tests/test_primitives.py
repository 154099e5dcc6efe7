"""hw/dsp.py's RegisteredProducts on each DSP primitive, simulated with the cell models
the post-synthesis regressions use (Yosys's SB_MAC16, our MULT18X18D): every operand pair
at small widths for every signedness, random pairs at the DSP's full width, two products
in one SB_MAC16 (its 8x8 mode), each product checked two cycles after its operands."""

import os
import subprocess

import numpy as np
import pytest
from amaranth.back import verilog
from amaranth.hdl import Shape, signed, unsigned

from accelgen.hw.dsp import (DSP_OPERAND_BITS, DspTarget, RegisteredProducts,
                              packed_bits, packs_pairs, product_shape)
from accelgen.sim.post_synthesis import cell_models
from accelgen.tools import verilator_environment

# every cycle each product k takes the next of its operand pairs; what the products hold
# after each clock edge is printed (the pair of edge c comes out after edge c + 1)
TESTBENCH = """
module tb;
  reg clk = 0;
  reg [{a_bits}-1:0] a [0:{pairs}-1];
  reg [{b_bits}-1:0] b [0:{pairs}-1];
  reg [{a_bits}-1:0] a_in = 0;
  reg [{b_bits}-1:0] b_in = 0;
  wire [{p_bits}-1:0] p;
  integer cycle;
  dut unit(.clk(clk), .rst(1'b0), .a(a_in), .b(b_in), .p(p));
  initial begin
    $readmemh("a.hex", a);
    $readmemh("b.hex", b);
    for (cycle = 0; cycle < {pairs} + 2; cycle = cycle + 1) begin
      if (cycle < {pairs}) begin a_in = a[cycle]; b_in = b[cycle]; end
      #5 clk = 1; #5 clk = 0;
      if (cycle >= 1) $display("%h", p);
    end
    $finish;
  end
endmodule
"""


def packed(rows: np.ndarray, width: int) -> list[int]:
    """Each row of per-product values as one word, product k at bits k*width."""
    return [sum((int(value) & ((1 << width) - 1)) << (k * width) for k, value in enumerate(row))
            for row in rows]


def products(family: str | None, a_shape: Shape, b_shape: Shape, a: np.ndarray,
             b: np.ndarray, work, cells: int = 1, shared_pairs: int = 0) -> np.ndarray:
    """What RegisteredProducts (on ``family``'s DSP, generic RTL for None) gives for
    operand pairs ``a[:, k]``, ``b[:, k]`` of product k, read two cycles after each pair
    went in; ``cells``: the DSP cells the products must take."""
    count = a.shape[1]
    dut = RegisteredProducts(a_shape, b_shape, count, shared_pairs=shared_pairs)
    target = DspTarget(family, cells) if family else None
    work.mkdir(parents=True, exist_ok=True)
    (work / "dut.v").write_text(verilog.convert(dut, name="dut", platform=target))
    if target is not None:
        assert (target.cells, target.products) == (cells, count), "the DSPs were not taken"
    product = product_shape(a_shape, b_shape)
    (work / "tb.v").write_text(TESTBENCH.format(
        a_bits=a_shape.width * count, b_bits=b_shape.width * count,
        p_bits=product.width * count, pairs=len(a)))
    for name, values, width in (("a", a, a_shape.width), ("b", b, b_shape.width)):
        (work / f"{name}.hex").write_text("".join(f"{word:x}\n"
                                                  for word in packed(values, width)))
    models, includes = cell_models(family, work) if family else ([], [])
    env = {**os.environ, **verilator_environment()}
    subprocess.run(["verilator", "--binary", "-Wno-fatal", "-CFLAGS", "-fcoroutines",
                    "--top-module", "tb", "-o", "simv", "tb.v", "dut.v",
                    *map(str, models), *(f"-I{folder}" for folder in includes)],
                   cwd=work, env=env, check=True, capture_output=True)
    lines = subprocess.run(["obj_dir/simv"], cwd=work, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    words = [int(line, 16) for line in lines if not line.startswith("-")][:len(a)]
    mask = (1 << product.width) - 1
    got = np.array([[(word >> (k * product.width)) & mask for k in range(count)]
                    for word in words], dtype=object)
    if product.signed:
        got = np.where(got >= 1 << (product.width - 1), got - (1 << product.width), got)
    return got


def exact(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a.astype(object) * b.astype(object)


def operand_range(shape: Shape) -> np.ndarray:
    low = -(1 << (shape.width - 1)) if shape.signed else 0
    return np.arange(low, low + (1 << shape.width))


def every_pair(a_shape: Shape, b_shape: Shape) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.meshgrid(operand_range(a_shape), operand_range(b_shape))
    return a.reshape(-1, 1), b.reshape(-1, 1)


SIGNEDNESS = [(signed, signed), (signed, unsigned), (unsigned, signed), (unsigned, unsigned)]


@pytest.mark.parametrize("family", ["ecp5", "ice40"])
@pytest.mark.parametrize("a_kind,b_kind", SIGNEDNESS,
                         ids=[f"{a.__name__}-{b.__name__}" for a, b in SIGNEDNESS])
def test_every_small_product_is_exact(family, a_kind, b_kind, tmp_path):
    a_shape, b_shape = a_kind(5), b_kind(4)
    a, b = every_pair(a_shape, b_shape)
    assert (products(family, a_shape, b_shape, a, b, tmp_path) == exact(a, b)).all()


@pytest.mark.parametrize("family", ["ecp5", "ice40"])
def test_random_full_width_products_are_exact(family, tmp_path):
    bits = DSP_OPERAND_BITS[family]
    rng = np.random.default_rng(5)
    for a_shape, b_shape in ((signed(bits), signed(bits)), (unsigned(bits), signed(bits))):
        a = np.concatenate([operand_range(a_shape)[[0, -1]],
                            rng.choice(operand_range(a_shape), 500)]).reshape(-1, 1)
        b = np.concatenate([operand_range(b_shape)[[-1, 0]],
                            rng.choice(operand_range(b_shape), 500)]).reshape(-1, 1)
        got = products(family, a_shape, b_shape, a, b,
                       tmp_path / f"{a_shape.signed}-{b_shape.signed}")
        assert (got == exact(a, b)).all(), (a_shape, b_shape)


@pytest.mark.parametrize("a_kind,b_kind", SIGNEDNESS,
                         ids=[f"{a.__name__}-{b.__name__}" for a, b in SIGNEDNESS])
def test_two_8x8_products_share_an_sb_mac16(a_kind, b_kind, tmp_path):
    """The 8x8 mode: every pair of 8-bit x 4-bit operands in the bottom product while the
    top one takes them in the reverse order (and the other way round)."""
    a_shape, b_shape = a_kind(8), b_kind(4)
    a, b = every_pair(a_shape, b_shape)
    a, b = np.hstack([a, a[::-1]]), np.hstack([b, b[::-1]])
    assert (products("ice40", a_shape, b_shape, a, b, tmp_path) == exact(a, b)).all()


@pytest.mark.parametrize("a_kind,b_kind", SIGNEDNESS,
                         ids=[f"{a.__name__}-{b.__name__}" for a, b in SIGNEDNESS])
def test_two_int4_products_share_a_mult18x18d(a_kind, b_kind, tmp_path):
    """a·(b_low + b_high·2^12) in one MULT18X18D: every 8-bit a with every pair of 4-bit
    weights, both products exact (the high one corrected where the low is negative)."""
    a_shape, b_shape = a_kind(8), b_kind(4)
    assert packed_bits(a_shape, b_shape) <= 18
    a, b_low, b_high = (axis.reshape(-1, 1) for axis in np.meshgrid(
        operand_range(a_shape), operand_range(b_shape), operand_range(b_shape)))
    a, b = np.hstack([a, a]), np.hstack([b_low, b_high])
    got = products("ecp5", a_shape, b_shape, a, b, tmp_path, shared_pairs=1)
    assert (got == exact(a, b)).all()


def test_pairs_pack_only_where_they_fit():
    target = DspTarget("ecp5", 4)
    assert packs_pairs(target, signed(8), signed(4))      # 12-bit products, 17-bit operand
    assert packs_pairs(target, unsigned(8), unsigned(2))
    assert not packs_pairs(target, signed(8), signed(8))  # 16 + 8 + 1 bits
    assert not packs_pairs(DspTarget("ice40", 4), signed(8), signed(4))  # its 8x8 mode


def test_generic_and_fallback_products_keep_the_latency(tmp_path):
    """Without a target, and beyond the device's DSPs, the same two register stages."""
    a_shape, b_shape = signed(5), unsigned(3)
    a, b = every_pair(a_shape, b_shape)
    assert (products(None, a_shape, b_shape, a, b, tmp_path) == exact(a, b)).all()
    assert not DspTarget("ice40", 0).claim(4, 4)
    assert not DspTarget("ice40", 1).claim(17, 4)
    assert not DspTarget("ice40", 1).claim(9, 4, products=2)
    assert not DspTarget("ecp5", 1).claim(4, 4, products=2)     # no dual mode there
