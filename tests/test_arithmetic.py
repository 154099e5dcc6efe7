"""The hardware arithmetic helpers against their golden definitions, exhaustively on
small widths (Amaranth simulator)."""

import numpy as np
import pytest
from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.sim import Simulator

from accelgen.golden.integers import round_shift
from accelgen.hw.arithmetic import ceil_divide, round_saturate


def evaluate(build, width: int, is_signed: bool, values) -> list:
    m = Module()
    value = Signal(signed(width) if is_signed else unsigned(width))
    expression = build(value)
    out = Signal(expression.shape())
    m.d.comb += out.eq(expression)
    results = []

    async def bench(ctx):
        for v in values:
            ctx.set(value, v)
            results.append(ctx.get(out))
    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    return results


@pytest.mark.parametrize("width,shift,bits", [(10, 3, 5), (8, 1, 4), (9, 4, 4), (7, 2, 6),
                                              (6, 0, 4)])
def test_round_saturate_is_clip_of_round_shift(width, shift, bits):
    values = range(-(1 << (width - 1)), 1 << (width - 1))
    got = evaluate(lambda v: round_saturate(v, shift, bits), width, True, values)
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    assert got == [int(np.clip(round_shift(v, shift), low, high)) for v in values]


@pytest.mark.parametrize("divisor,top", [(3, 300), (5, 64), (7, 4096), (16, 500), (1, 9)])
def test_ceil_divide_by_a_constant_is_exact(divisor, top):
    values = range(top + 1)
    got = evaluate(lambda v: ceil_divide(v, divisor, top), top.bit_length(), False, values)
    assert got == [-(-v // divisor) for v in values]
