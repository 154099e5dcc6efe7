"""The link's gateware in the Amaranth simulator, case by case: every refusal with its
reason, duplicates, resets, the FrameFIFO's commit and rollback, SLIP escapes."""

from amaranth.sim import Simulator

from accelgen.config import single_unit_design
from accelgen.hw.frame_fifo import FrameFIFO
from accelgen.hw.link_system import LinkSystem
from accelgen.link_plan import link_plan
from accelgen.link_protocol import (DEVICE_HEADER_BYTES, END, ESC, DeviceFrame, HostFrame,
                                    NakReason, SlipDecoder, host_frame, slip_encode,
                                    with_crc)


def run_system(design, wire: bytes, cycles: int, tx_ready=lambda cycle: True):
    """Feed ``wire`` to the system's rx; the device frames it sent (None: broken)."""
    plan = link_plan(design, 0, 0)
    dut = LinkSystem(design, plan)
    got = bytearray()

    async def bench(ctx):
        position = 0
        for cycle in range(cycles):
            ready = tx_ready(cycle)
            ctx.set(dut.tx.ready, ready)
            ctx.set(dut.rx.valid, position < len(wire))
            if position < len(wire):
                ctx.set(dut.rx.payload, wire[position])
            taken = ctx.get(dut.rx.ready) and position < len(wire)
            if ctx.get(dut.tx.valid) and ready:
                got.append(ctx.get(dut.tx.payload))
            await ctx.tick()
            position += bool(taken)

    simulator = Simulator(dut)
    simulator.add_clock(1e-6)
    simulator.add_testbench(bench)
    simulator.run()
    return plan, list(SlipDecoder().feed(bytes(got)))


def answers(frames):
    return [(DeviceFrame(frame[0]).name, frame[1], *frame[DEVICE_HEADER_BYTES:])
            for frame in frames if frame is not None and frame[0] != DeviceFrame.RESULT]


def beats(words, beat_bytes):
    return b"".join(word.to_bytes(beat_bytes, "little") for word in words)


def test_every_refusal_names_its_reason():
    # a 1x1 array: 3-byte operand beats (a, w, last), one result beat per job
    design = single_unit_design("t", "gemm", "systolic", rows=1, cols=1, max_depth=8)
    job = beats([3 | 5 << 8 | 1 << 16], 3)          # a = 3, w = 5, last
    wrong_length = bytes([HostFrame.DATA, 0, 0, 0, 9, 0]) + job
    wire = b"".join([
        host_frame(HostFrame.DATA, 0, 0, 0, job[:2]),           # not whole beats
        host_frame(HostFrame.DATA, 0, 0, 0, b""),               # empty
        host_frame(HostFrame.DATA, 0, 0, 0, bytes(258)),        # beyond frame_bytes
        slip_encode(with_crc(wrong_length)),                    # length field lies
        host_frame(HostFrame.DATA, 0, 1, 0, job),               # no unit 1
        host_frame(HostFrame.DATA, 0, 0, 1, job),               # no port 1
        host_frame(HostFrame.DATA, 5, 0, 0, job),               # ahead of sequence
        host_frame(0x55, 0, 0, 0),                              # no such type
        host_frame(HostFrame.DATA, 0, 0, 0, job)[:-3] + bytes([END]),   # CRC cut
        bytes([END, ESC, 0x41, END]),                           # broken escape
        host_frame(HostFrame.DATA, 0, 0, 0, job),               # taken
        host_frame(HostFrame.DATA, 0, 0, 0, job),               # a duplicate: acked only
        host_frame(HostFrame.RESET, 9, 7, 0),                   # no unit 7
        host_frame(HostFrame.STATUS, 3),
    ])
    plan, frames = run_system(design, wire, 2500)
    nak = DeviceFrame.NAK.name
    got = answers(frames)
    assert got[:13] == [
        (nak, 0, NakReason.BAD_LENGTH, 0), (nak, 0, NakReason.BAD_LENGTH, 0),
        (nak, 0, NakReason.BAD_LENGTH, 0), (nak, 0, NakReason.BAD_LENGTH, 0),
        (nak, 0, NakReason.UNKNOWN_TARGET, 0), (nak, 0, NakReason.UNKNOWN_TARGET, 0),
        (nak, 5, NakReason.SEQUENCE, 0), (nak, 0, NakReason.UNKNOWN_TYPE, 0),
        (nak, 0, NakReason.CRC, 0), (nak, 0, NakReason.CRC, 0),
        ("ACK", 0, HostFrame.DATA), ("ACK", 0, HostFrame.DATA),
        (nak, 9, NakReason.UNKNOWN_TARGET, 1)]
    # STATUS: frames ok 2 (the DATA frame, this request), CRC errors 2, framing errors 0,
    # NAKs 11, (cycles), busy cycles (the one job's beat and result, waiting for the line),
    # next sequence number 1, oldest result not acknowledged 0, frames consumed 1
    status = got[13]
    assert len(got) == 14 and status[:2] == ("STATUS", 3)
    assert status[2:10] == (2, 0, 2, 0, 0, 0, 11, 0) and status[22:] == (1, 0, 1)
    busy = int.from_bytes(bytes(status[14:18]), "little")
    pending = int.from_bytes(bytes(status[18:22]), "little")
    assert 2 <= busy <= pending <= 60     # the result also waits for the line
    results = [frame for frame in frames if frame is not None and frame[0] == DeviceFrame.RESULT]
    assert [frame[DEVICE_HEADER_BYTES:] for frame in results] == [beats([15 | 1 << 19], 3)], \
        "exactly one job reached the unit"


def two_unit_design():
    design = single_unit_design("t", "a", "systolic", rows=4, cols=1, max_depth=64)
    return type(design)(design.name, {"a": design.units["a"], "b": design.units["a"]},
                        design.source)


def ones_job(plan):
    return beats([1 | 1 << 8 | 1 << 16 | 1 << 24 | 1 << 32 | 1 << 40],
                 plan.inputs[0].beat_bytes)


def test_results_of_two_units_alternate_and_wait_for_acknowledgement():
    design = two_unit_design()
    plan = link_plan(design, 0, 0)
    job = ones_job(plan)
    # jobs for unit a, then two for b, while the line is held: a's results fill the
    # store's slots, the rest wait for the host's RESULT_ACK
    slots = plan.result_slots
    jobs = slots + 4
    wire = b"".join(host_frame(HostFrame.DATA, seq, int(seq >= slots + 2), 0, job)
                    for seq in range(jobs))
    held = lambda cycle: cycle > 1500      # noqa: E731
    _, frames = run_system(design, wire, 5000, tx_ready=held)
    results = [frame for frame in frames if frame[0] == DeviceFrame.RESULT]
    assert [(frame[1], frame[2]) for frame in results] == [(seq, 0) for seq in range(slots)]
    # acknowledged: the four waiting (two of a, two of b) are framed in turns
    acknowledged = wire + bytes([END] * 2000) + host_frame(HostFrame.RESULT_ACK, slots)
    _, frames = run_system(design, acknowledged, 6000, tx_ready=held)
    results = [frame for frame in frames if frame[0] == DeviceFrame.RESULT]
    assert [frame[1] for frame in results] == list(range(jobs))
    units = [frame[2] for frame in results[slots:]]
    assert sorted(units) == [0, 0, 1, 1]
    assert all(one != other for one, other in zip(units, units[1:]))
    # RESEND 2: from frame 2 again (0 and 1 taken as acknowledged), then two more
    resent = wire + bytes([END] * 2000) + host_frame(HostFrame.RESEND, 2)
    _, frames = run_system(design, resent, 6000, tx_ready=held)
    assert [frame[1] for frame in frames if frame[0] == DeviceFrame.RESULT] == \
        list(range(slots)) + list(range(2, slots + 2))


def test_resets_void_stored_results_and_abort_one_on_the_line():
    design = two_unit_design()
    plan = link_plan(design, 0, 0)
    job = ones_job(plan)
    # unit a's result is stored, the line held; a reset of a: it is sent empty, in order
    wire = host_frame(HostFrame.DATA, 0, 0, 0, job) + bytes([END] * 120) + \
        host_frame(HostFrame.RESET, 1, 0)
    _, frames = run_system(design, wire, 1500, tx_ready=lambda cycle: cycle > 400)
    results = [frame for frame in frames if frame[0] == DeviceFrame.RESULT]
    assert results == [bytes([DeviceFrame.RESULT, 0, 0, 0])]
    assert ("ACK", 1, HostFrame.RESET) in answers(frames)
    # a reset of every unit while a's result frame is on the (slow) line: cut short
    wire = host_frame(HostFrame.DATA, 0, 0, 0, job) + bytes([END] * 120) + \
        host_frame(HostFrame.RESET, 1, 0xFF)
    _, frames = run_system(design, wire, 1500, tx_ready=lambda cycle: cycle % 7 == 0)
    assert frames.count(None) == 1
    assert not any(frame[0] == DeviceFrame.RESULT for frame in frames if frame is not None)


def test_frame_fifo_commits_rolls_back_and_counts_frames():
    fifo = FrameFIFO(beat_bytes=2, depth=4)
    seen, consumed = [], []

    async def bench(ctx):
        async def write(data, finish):
            for index, byte in enumerate(data):
                ctx.set(fifo.w_en, 1)
                ctx.set(fifo.w_byte, byte)
                ctx.set(fifo.w_lane, index % 2)
                ctx.set(fifo.w_beat_done, index % 2 == 1)
                await ctx.tick()
            ctx.set(fifo.w_en, 0)
            ctx.set(finish, 1)
            await ctx.tick()
            ctx.set(finish, 0)

        await write([1, 0, 2, 0], fifo.rollback)
        assert ctx.get(fifo.free) == 4
        await write([3, 0, 4, 0], fifo.commit)
        await write([5, 0], fifo.commit)
        assert ctx.get(fifo.free) == 2     # the output register holds the first beat
        ctx.set(fifo.beats.ready, 1)
        for _ in range(8):
            if ctx.get(fifo.beats.valid):
                seen.append(ctx.get(fifo.beats.payload))
                consumed.append(ctx.get(fifo.frame_consumed))
            await ctx.tick()

    simulator = Simulator(fifo)
    simulator.add_clock(1e-6)
    simulator.add_testbench(bench)
    simulator.run()
    assert seen == [3, 4, 5] and consumed == [0, 1, 1]
