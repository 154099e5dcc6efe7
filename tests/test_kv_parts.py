"""The KV buffer's parts alone, in the Amaranth simulator, against golden.kv_cache:
the head table, the token walk, the append engine, the read issuer's score items, the
read datapath and the answer serializer. (tests/test_sim.py runs them together.)"""

import numpy as np
import pytest
from amaranth.sim import Simulator

from accelgen.golden.kv_cache import ReferenceCache, quantize, scores, token_weights
from accelgen.hw.kv_answers import AnswerSerializer
from accelgen.hw.kv_append import AppendEngine
from accelgen.hw.kv_heads import HeadTable
from accelgen.hw.kv_issue import ReadIssuer
from accelgen.hw.kv_layouts import Op
from accelgen.hw.kv_read_path import ReadPath
from accelgen.hw.kv_walk import TokenWalker
from accelgen.kv_config import KVBufferConfig, Policy
from accelgen.payload import chunked

SINKS = KVBufferConfig(heads=3, head_dim=6, lanes=4, max_tokens=6, sink_tokens=2)
WINDOW = KVBufferConfig(heads=1, head_dim=5, lanes=2, max_tokens=5, policy=Policy.WINDOW,
                        sink_tokens=0)
NONE = KVBufferConfig(heads=3, head_dim=3, lanes=1, max_tokens=4, policy=Policy.NONE,
                      sink_tokens=0)


def simulate(dut, bench):
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


def head_state(ctx, table):
    return ctx.get(table.length), ctx.get(table.appended), ctx.get(table.write_slot)


@pytest.mark.parametrize("config", [SINKS, NONE], ids=["sink_window", "none"])
def test_head_table_counts_like_the_reference_cache(config):
    table = HeadTable(config)
    reference = ReferenceCache(config)
    token = np.zeros(config.head_dim, dtype=np.int64)

    async def bench(ctx):
        for step in range(2 * config.max_tokens + 1):
            head = step % 2
            ctx.set(table.head, head)
            state = reference.heads[head]
            assert head_state(ctx, table) == (state.length, state.appended, state.write_slot)
            refused = config.policy is Policy.NONE and state.length == config.max_tokens
            reference.append(head, token, token)
            ctx.set(table.refuse if refused else table.commit, 1)
            await ctx.tick()
            ctx.set(table.refuse, 0)
            ctx.set(table.commit, 0)
        status = ctx.get(table.status)
        for head, state in enumerate(reference.heads):
            assert (status.length[head], status.appended[head], status.overflow[head]) == \
                (state.length, state.appended, state.overflow)
        if config.heads < 1 << config.head_bits:    # a number past the last head reads 0
            ctx.set(table.head, config.heads)
            assert head_state(ctx, table) == (0, 0, 0)
        ctx.set(table.clear, 1)
        ctx.set(table.clear_head, 1)
        await ctx.tick()
        ctx.set(table.clear_all, 1)
        ctx.set(table.head, 0)
        assert ctx.get(table.status.length[1]) == 0 and ctx.get(table.length) > 0
        await ctx.tick()
        assert all(ctx.get(table.status.overflow[h]) == 0 for h in range(config.heads))
        assert head_state(ctx, table) == (0, 0, 0)
    simulate(table, bench)


@pytest.mark.parametrize("config", [SINKS, WINDOW, NONE], ids=["sink_window", "window", "none"])
@pytest.mark.parametrize("appends", [0, 1, 3, 6, 9, 14])
def test_the_walk_visits_the_reference_slots_in_position_order(config, appends):
    reference = ReferenceCache(config)
    token = np.zeros(config.head_dim, dtype=np.int64)
    for _ in range(appends):
        reference.append(0, token, token)
    state = reference.heads[0]
    walker = TokenWalker(config)

    async def bench(ctx):
        ctx.set(walker.length, state.length)
        ctx.set(walker.write_slot, state.write_slot)
        ctx.set(walker.appended, state.appended)
        for strobe in (walker.setup_head, walker.setup_rows, walker.setup_positions):
            ctx.set(strobe, 1)
            await ctx.tick()
            ctx.set(strobe, 0)
        await ctx.tick()                             # the start addresses
        ctx.set(walker.load, 1)
        ctx.set(walker.count, ctx.get(walker.held))
        await ctx.tick()
        ctx.set(walker.load, 0)
        rows, positions = [], []
        while ctx.get(walker.tokens_left):
            rows.append(ctx.get(walker.row))
            positions.append(ctx.get(walker.position))
            assert ctx.get(walker.base) == ctx.get(walker.row) * 2 * config.chunks
            assert ctx.get(walker.index) == len(rows) - 1
            ctx.set(walker.step, 1)
            await ctx.tick()
        assert rows == reference.slots(0)
        assert positions == reference.positions(0)
    simulate(walker, bench)


def test_the_append_engine_writes_the_quantized_token():
    config = SINKS
    engine = AppendEngine(config)
    rng = np.random.default_rng(3)
    k, v = rng.integers(-3000, 3000, size=(2, config.head_dim))
    k[1] = -32768                                    # the most negative input
    k_codes, k_scale = quantize(k, config.kv_bits, config.input_bits)
    v_codes, v_scale = quantize(v, config.kv_bits, config.input_bits)
    head, slot = 1, 3
    row = head * config.max_tokens + slot
    writes, scale_writes = {}, {}

    async def bench(ctx):
        ctx.set(engine.head, head)
        ctx.set(engine.write_slot, slot)
        ctx.set(engine.start, 1)
        await ctx.tick()
        ctx.set(engine.start, 0)
        beats = list(zip(chunked(k, config.lanes), chunked(v, config.lanes)))
        for cycle in range(200):
            if beats:
                k_beat, v_beat = beats[0]
                ctx.set(engine.append.valid, 1)
                for lane in range(config.lanes):
                    ctx.set(engine.append.payload.k[lane], int(k_beat[lane]))
                    ctx.set(engine.append.payload.v[lane], int(v_beat[lane]))
                ctx.set(engine.append.payload.last, len(beats) == 1)
                if ctx.get(engine.append.ready):
                    beats.pop(0)
            else:
                ctx.set(engine.append.valid, 0)
            if ctx.get(engine.code_write_en):
                writes[ctx.get(engine.code_write_address)] = ctx.get(engine.code_write_data)
            if ctx.get(engine.scale_write_en):
                scale_writes[ctx.get(engine.scale_write_address)] = \
                    ctx.get(engine.scale_write_data)
            if ctx.get(engine.done):
                assert ctx.get(engine.commit) and not ctx.get(engine.refused)
                return
            await ctx.tick()
        raise AssertionError("the append never finished")
    simulate(engine, bench)
    mask = (1 << config.kv_bits) - 1
    expected = {}
    for kind, codes in enumerate((k_codes, v_codes)):
        for chunk, word in enumerate(chunked(codes, config.lanes)):
            expected[row * 2 * config.chunks + kind * config.chunks + chunk] = sum(
                (int(code) & mask) << (lane * config.kv_bits) for lane, code in enumerate(word))
    assert writes == expected
    assert scale_writes == {2 * row: int(k_scale), 2 * row + 1: int(v_scale)}


def test_the_append_engine_refuses_a_missing_head_and_a_full_one():
    config = NONE
    engine = AppendEngine(config)

    async def bench(ctx):
        for head, length in ((config.heads, 0), (0, config.max_tokens)):
            ctx.set(engine.head, head)
            ctx.set(engine.length, length)
            ctx.set(engine.start, 1)
            await ctx.tick()
            ctx.set(engine.start, 0)
            ctx.set(engine.append.valid, 1)
            ctx.set(engine.append.payload.last, 1)
            for _ in range(config.lanes * config.chunks + 3):
                if ctx.get(engine.done):
                    break
                await ctx.tick()
            assert ctx.get(engine.done) and ctx.get(engine.refused) and ctx.get(engine.refuse)
            assert not ctx.get(engine.commit) and not ctx.get(engine.code_write_en)
            await ctx.tick()
    simulate(engine, bench)


def test_the_issuer_reads_every_chunk_of_every_token_then_releases_q():
    config = SINKS                                   # 6 dimensions in 2 chunks of 4
    issuer = ReadIssuer(config)

    async def bench(ctx):
        ctx.set(issuer.advance, 1)
        ctx.set(issuer.op, Op.SCORE)
        ctx.set(issuer.held, 3)
        ctx.set(issuer.start, 1)
        await ctx.tick()
        ctx.set(issuer.start, 0)
        await ctx.tick()                             # no q yet: it waits
        assert not ctx.get(issuer.issued.valid)
        ctx.set(issuer.queries_full, 0b01)
        ctx.set(issuer.queries_chunks_last[0], 0)     # q has one chunk: the second reads 0
        assert ctx.get(issuer.walk_load) and ctx.get(issuer.walk_count) == 3
        await ctx.tick()
        items = []
        for token in range(3):
            ctx.set(issuer.tokens_left, 3 - token)
            ctx.set(issuer.base, 2 * config.chunks * token)
            ctx.set(issuer.position, 7 + token)
            for chunk in range(config.chunks):
                item = ctx.get(issuer.issued)
                items.append((ctx.get(issuer.read_code), item.position, item.token_first,
                              item.token_end, item.q_zero, item.last))
                assert ctx.get(issuer.walk_step) == (chunk == config.chunks - 1)
                done = ctx.get(issuer.done)
                await ctx.tick()
                assert ctx.get(issuer.query_read) and ctx.get(issuer.query_chunk) == chunk
        assert done and ctx.get(issuer.query_release)
        stride = 2 * config.chunks
        assert items == [(stride * t + c, 7 + t, c == 0, c == 1, c == 1, t == 2 and c == 1)
                         for t in range(3) for c in range(config.chunks)]
    simulate(issuer, bench)


def test_the_read_path_scores_and_weighs_a_token():
    config = KVBufferConfig(heads=1, head_dim=4, lanes=2, max_tokens=2, sink_tokens=1,
                            kv_bits=8)
    path = ReadPath(config)
    rng = np.random.default_rng(5)
    codes = rng.integers(-127, 128, size=(2, config.lanes))     # one token, two chunks
    q = rng.integers(-128, 128, size=(2, config.lanes))
    scale, p = 3000, 40000
    mask = (1 << config.kv_bits) - 1

    async def bench(ctx):
        ctx.set(path.advance, 1)
        for op in (Op.SCORE, Op.VALUE):
            # items enter stage 2 one per cycle; later stages see them as they pass
            stages = {}
            for cycle in range(2 + 6 + config.tree_stages):
                chunk = cycle if cycle < 2 else None
                for name, at in (("at2", 0), ("at4", 2), ("at5", 3),
                                 ("at_sum", 3 + config.tree_stages)):
                    index = cycle - at
                    item = getattr(path, name)
                    ctx.set(item.valid, 0 <= index < 2)
                    ctx.set(item.op, op)
                    ctx.set(item.token_first, index == 0)
                    ctx.set(item.pass_first, index == 0)
                    ctx.set(item.p_direct, 1)
                    ctx.set(item.p, p)
                if chunk is not None:
                    ctx.set(path.code, sum((int(c) & mask) << (8 * lane)
                                           for lane, c in enumerate(codes[chunk])))
                    ctx.set(path.scale, scale)
                    for lane in range(config.lanes):
                        ctx.set(path.query[lane], int(q[chunk][lane]))
                await ctx.tick()
                stages[cycle] = (ctx.get(path.score), [ctx.get(s) for s in path.sums])
            # the second item's score leaves the stage after its dot; the sums hold
            # both items' products once the second has passed stage 5
            done = 6 + config.tree_stages if op == Op.SCORE else 4
            if op == Op.SCORE:
                expected = int(scores(q.reshape(-1), codes.reshape(1, -1), np.array([scale]))[0])
                assert stages[done][0] == expected, stages
            else:
                w = int(token_weights(config, np.array([p]), np.array([scale]))[0])
                # both chunks' products summed per lane (one pass over the same token)
                expected = [int(w * (codes[0][lane] + codes[1][lane]))
                            for lane in range(config.lanes)]
                assert stages[done][1] == expected, stages
    simulate(path, bench)


def test_the_serializer_sends_a_pass_lane_by_lane_and_holds_the_pipeline():
    config = KVBufferConfig(heads=1, head_dim=5, lanes=3, max_tokens=2, sink_tokens=1)
    answers = AnswerSerializer(config)

    async def bench(ctx):
        ctx.set(answers.result.ready, 1)
        for lane, value in enumerate((10, -20, 30)):
            ctx.set(answers.sums[lane], value)
        ctx.set(answers.at_value.valid, 1)
        ctx.set(answers.at_value.op, Op.VALUE)
        ctx.set(answers.at_value.pass_end, 1)
        ctx.set(answers.at_value.position, 3)
        ctx.set(answers.at_value.final_chunk, 1)     # 5 = 3 + 2: the last pass has 2
        ctx.set(answers.at_value.last, 1)
        assert ctx.get(answers.advance)
        await ctx.tick()
        ctx.set(answers.at_value.valid, 0)
        ctx.set(answers.at_score.valid, 1)           # the next answer waits for this one
        ctx.set(answers.at_score.op, Op.SCORE)
        ctx.set(answers.at_score.token_end, 1)
        ctx.set(answers.score, -7)
        ctx.set(answers.result.ready, 0)
        assert not ctx.get(answers.advance)
        await ctx.tick()
        ctx.set(answers.result.ready, 1)
        beats = []
        for _ in range(3):
            beat = ctx.get(answers.result.payload)
            beats.append((ctx.get(answers.result.valid), beat.value, beat.position, beat.last))
            advance = ctx.get(answers.advance)
            await ctx.tick()
        assert beats == [(1, 10, 3, 0), (1, -20, 4, 1), (1, -7, 0, 0)]
        assert advance
    simulate(answers, bench)
