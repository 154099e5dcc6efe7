"""The UART at the bit level, in the Amaranth simulator: a line model sends and takes
bytes at a baud off by a given ratio, with glitches and breaks."""

import numpy as np
import pytest
from amaranth.hdl import Module
from amaranth.sim import Simulator

from accelgen.hw.uart import UARTReceiver, UARTTransmitter


def line_levels(data: bytes, cycles_per_bit: float, gap_bits: float = 1.5, stop=1):
    """The rx level at every clock cycle for ``data`` sent 8N1 at that bit time."""
    levels = []
    time = 2 * cycles_per_bit                          # idle first
    edges = []
    for byte in data:
        bits = [0] + [(byte >> index) & 1 for index in range(8)] + [stop]
        for bit in bits:
            edges.append((time, bit))
            time += cycles_per_bit
        edges.append((time, 1))
        time += gap_bits * cycles_per_bit
    level, index = 1, 0
    for cycle in range(int(time) + 4):
        while index < len(edges) and edges[index][0] <= cycle:
            level = edges[index][1]
            index += 1
        levels.append(level)
    return levels


def receive(divisor: int, levels) -> tuple[bytes, int]:
    dut = UARTReceiver(divisor)
    got, errors = bytearray(), []

    async def bench(ctx):
        ctx.set(dut.bytes.ready, 1)
        for level in levels:
            ctx.set(dut.rx, level)
            if ctx.get(dut.bytes.valid):
                got.append(ctx.get(dut.bytes.payload))
            errors.append(ctx.get(dut.framing_error))
            await ctx.tick()

    simulator = Simulator(dut)
    simulator.add_clock(1e-6)
    simulator.add_testbench(bench)
    simulator.run()
    return bytes(got), sum(errors)


DATA = bytes([0x00, 0xFF, 0x55, 0xAA, 0x01, 0x80, 0xC0, 0x3C]) + \
    bytes(np.random.default_rng(1).integers(0, 256, 24, dtype=np.uint8))


@pytest.mark.parametrize("divisor, baud_error", [
    (divisor, error) for divisor in (4, 5, 8, 13, 104) for error in (-0.025, 0, 0.025)] + [
    (divisor, error) for divisor in (8, 13, 104) for error in (-0.035, 0.035)])
def test_receiver_tolerates_baud_error(divisor, baud_error):
    """±2.5% at 4 clock cycles per bit (iCEBreaker: 12 MHz, 3 Mbaud), ±3.5% from 8 on;
    bytes back to back, the worst case (no idle time to re-time on)."""
    # the sender's bit is longer when its baud is lower
    levels = line_levels(DATA, divisor / (1 + baud_error), gap_bits=0)
    assert receive(divisor, levels) == (DATA, 0)


def test_framing_errors_and_breaks_are_counted_not_delivered():
    bad = line_levels(b"\x41", 8, stop=0)
    brk = [1] * 20 + [0] * 400 + [1] * 30                     # a break: low for 50 bits
    good = line_levels(b"\x42", 8)
    assert receive(8, bad + brk + good) == (b"\x42", 2)


def test_glitch_is_not_a_start_bit():
    glitch = [1] * 10 + [0] + [1] * 100
    assert receive(8, glitch + line_levels(b"\x17", 8)) == (b"\x17", 0)


@pytest.mark.parametrize("divisor", [4, 8])
def test_transmitter_loops_back(divisor):
    m = Module()
    m.submodules.tx = tx = UARTTransmitter(divisor)
    m.submodules.rx = rx = UARTReceiver(divisor)
    m.d.comb += [rx.rx.eq(tx.tx), rx.bytes.ready.eq(1)]
    got = bytearray()

    async def bench(ctx):
        position = 0
        for _ in range(len(DATA) * 10 * divisor + 50):
            ctx.set(tx.bytes.valid, position < len(DATA))
            ctx.set(tx.bytes.payload, DATA[min(position, len(DATA) - 1)])
            if ctx.get(rx.bytes.valid):
                got.append(ctx.get(rx.bytes.payload))
            position += position < len(DATA) and ctx.get(tx.bytes.ready)
            await ctx.tick()

    simulator = Simulator(m)
    simulator.add_clock(1e-6)
    simulator.add_testbench(bench)
    simulator.run()
    # back to back: 10 bits per byte, no gap
    assert bytes(got) == DATA
