"""The parts the units share for taking turns, and the ternary weight loader, alone in
the Amaranth simulator: bank flags, the two-slot vector buffer (with a header), the
loader's words and shapes against golden.ternary."""

import numpy as np
import pytest
from amaranth.hdl import unsigned
from amaranth.lib import data
from amaranth.sim import Simulator

from accelgen.golden.ternary import chunks, clamp_shape, row_blocks
from accelgen.hw.banks import BankFlags
from accelgen.hw.ternary_loader import WeightLoader
from accelgen.hw.vector_buffer import VectorBuffer
from accelgen.ternary_config import TernaryConfig


def simulate(dut, bench):
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


def test_bank_flags_set_and_clear_per_bank_and_a_set_wins():
    flags = BankFlags(2)

    async def event(ctx, **names):
        for name, bank in names.items():
            ctx.set(getattr(flags, name), 1)
            ctx.set(getattr(flags, f"{name}_bank"), bank)
        await ctx.tick()
        for name in names:
            ctx.set(getattr(flags, name), 0)

    async def bench(ctx):
        await event(ctx, occupy=1, fill=0)
        assert (ctx.get(flags.busy), ctx.get(flags.full)) == (0b10, 0b01)
        await event(ctx, free=1, empty=0, fill=1)
        assert (ctx.get(flags.busy), ctx.get(flags.full)) == (0b00, 0b10)
        await event(ctx, occupy=0, free=0)           # both on one bank: the set wins
        assert ctx.get(flags.busy) == 0b01
    simulate(flags, bench)


def test_vector_buffer_keeps_two_vectors_and_their_headers():
    layout = data.StructLayout({"x": data.ArrayLayout(unsigned(8), 2), "tag": unsigned(4),
                                "last": 1})
    max_chunks = 3                                   # slots at 0 and 4: no adder
    buffer = VectorBuffer(layout, max_chunks)
    vectors = [([[1, 2], [3, 4]], 5), ([[9, 8], [7, 6], [5, 4], [3, 2]], 11), ([[42, 43]], 2)]

    async def send(ctx, vector, tag):
        for index, chunk in enumerate(vector):
            ctx.set(buffer.vector.valid, 1)
            ctx.set(buffer.vector.payload.x, chunk)
            ctx.set(buffer.vector.payload.tag, tag if index == 0 else 0)
            ctx.set(buffer.vector.payload.last, index == len(vector) - 1)
            assert ctx.get(buffer.vector.ready)
            await ctx.tick()
        ctx.set(buffer.vector.valid, 0)

    async def read(ctx, slot, chunk):
        ctx.set(buffer.read_en, 1)
        ctx.set(buffer.read_slot, slot)
        ctx.set(buffer.read_chunk, chunk)
        await ctx.tick()
        return list(ctx.get(buffer.data))

    async def bench(ctx):
        await send(ctx, *vectors[0])
        await send(ctx, *vectors[1])                 # one beat too many: dropped
        ctx.set(buffer.vector.valid, 1)
        assert not ctx.get(buffer.vector.ready), "both slots are full"
        assert ctx.get(buffer.full) == 0b11
        assert [ctx.get(buffer.chunks_last[slot]) for slot in range(2)] == [1, 2]
        assert [ctx.get(buffer.header[slot].tag) for slot in range(2)] == [5, 11]
        assert await read(ctx, 0, 1) == [3, 4] and await read(ctx, 1, 2) == [5, 4]
        ctx.set(buffer.release, 1)
        ctx.set(buffer.release_slot, 0)
        await ctx.tick()
        ctx.set(buffer.release, 0)
        await send(ctx, *vectors[2])                 # slot 0 again
        assert ctx.get(buffer.header[0].tag) == 2 and ctx.get(buffer.header[1].tag) == 11
        assert await read(ctx, 0, 0) == [42, 43] and await read(ctx, 1, 0) == [9, 8]
    simulate(buffer, bench)


@pytest.mark.parametrize("config", [
    TernaryConfig(lanes_in=3, lanes_out=2, max_rows=7, max_cols=8),
    TernaryConfig(lanes_in=2, lanes_out=2, max_rows=4, max_cols=4, double_buffer=False,
                  mlgru=True)], ids=["two-banks", "one-bank-mlgru"])
def test_weight_loader_writes_each_bank_and_keeps_its_clamped_shape(config):
    loader = WeightLoader(config)
    rng = np.random.default_rng(2)
    # the largest header the fields hold (past the largest matrix where they can), one
    # of zeros, an ordinary one; loads shorter and longer than a bank
    largest = [(1 << top.bit_length()) - 1 for top in (config.max_rows, config.max_cols)]
    headers = [tuple(largest), (0, 0), (3, 3)]
    loads = []
    for rows, cols in headers:
        count = int(rng.integers(1, config.bank_words + 3))   # longer loads are cut
        words = [int(word) for word in rng.integers(0, 1 << config.word_bits, count)]
        loads.append((rows, cols, 100 + rows, words))
    writes, loaded = [], []

    async def bench(ctx):
        for number, (rows, cols, scale, words) in enumerate(loads):
            bank = number % config.banks
            for index, word in enumerate(words):
                ctx.set(loader.weights.valid, 1)
                ctx.set(loader.weights.payload.data, word)
                ctx.set(loader.weights.payload.rows, rows if index == 0 else 0)
                ctx.set(loader.weights.payload.cols, cols if index == 0 else 0)
                ctx.set(loader.weights.payload.scale, scale)
                ctx.set(loader.weights.payload.last, index == len(words) - 1)
                assert ctx.get(loader.weights.ready)
                last = index == len(words) - 1
                assert ctx.get(loader.occupy) == last
                await ctx.tick()
                if ctx.get(loader.write_en):
                    writes.append((ctx.get(loader.write_address), ctx.get(loader.write_data)))
            ctx.set(loader.weights.valid, 0)
            for _ in range(4):
                await ctx.tick()
                if ctx.get(loader.loaded):
                    loaded.append(ctx.get(loader.loaded_bank))
                if ctx.get(loader.write_en):
                    writes.append((ctx.get(loader.write_address), ctx.get(loader.write_data)))
            shape = ctx.get(loader.shapes[bank])
            rows, cols = clamp_shape(config, rows, cols)
            assert (shape.chunks_last, shape.blocks_last, shape.scale) == (
                chunks(config, cols) - 1, row_blocks(config, rows) // config.projections - 1,
                scale)
            assert shape.cols_in_last_chunk == cols - (chunks(config, cols) - 1) * \
                config.lanes_in
        expected = [(bank_of * config.bank_words + address, word)
                    for number, (_, _, _, words) in enumerate(loads)
                    for bank_of in [number % config.banks]
                    for address, word in enumerate(words[:config.bank_words])]
        assert writes == expected
        assert loaded == [number % config.banks for number in range(len(loads))]
    simulate(loader, bench)
