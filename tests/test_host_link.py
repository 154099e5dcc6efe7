"""The host link end to end: the protocol's codecs, and the driver against the served
simulation of a design with one unit of every registered kind (one Verilator build)."""

import numpy as np
import pytest

from accelgen import AccelgenError
from accelgen.config import load_config, parse_design
from accelgen.golden import olive
from accelgen.host import Accelerator, HostError
from accelgen.link_protocol import (END, ESC, DeviceFrame, SlipDecoder, crc16,
                                    device_frame, fast_crc16)
from accelgen.payload import last_flags, pack
from accelgen.registry import UNIT_KINDS
from accelgen.sim.serve import start_server

from .conftest import CONFIGS


def test_crc_is_amaranths_ccitt_false():
    from amaranth.lib.crc import catalog
    data = bytes(range(256)) * 3
    expected = catalog.CRC16_CCITT_FALSE(data_width=8).compute(data)
    assert crc16(data) == fast_crc16(data) == expected
    assert fast_crc16(b"123456789") == 0x29B1      # the catalogue's check value


def test_slip_round_trip_and_corruption():
    body = bytes([END, ESC, 0, END, END, ESC, 7])
    wire = device_frame(DeviceFrame.RESULT, 3, 1, 0, body)
    assert END not in wire[1:-1]
    assert list(SlipDecoder().feed(wire)) == [bytes([DeviceFrame.RESULT, 3, 1, 0]) + body]
    flipped = bytearray(wire)
    flipped[5] ^= 0x10
    assert list(SlipDecoder().feed(bytes(flipped))) == [None]
    # ESC END aborts the frame; garbage alone is one bad frame; empty frames vanish
    assert list(SlipDecoder().feed(wire[:-1] + bytes([ESC, END]))) == [None]
    assert list(SlipDecoder().feed(bytes([END, END, 1, 2, 3, END]))) == [None]


# OVP-4 arrays, both dataflows (the weight-stationary one of odd rows: tiles of 2 rows)
OVP_UNITS = {
    "ovp_os": {"kind": "systolic", "rows": 2, "cols": 3, "activation_encoding": "olive",
               "weight_encoding": "olive", "max_depth": 6},
    "ovp_ws": {"kind": "systolic", "rows": 3, "cols": 2, "activation_encoding": "olive",
               "weight_encoding": "olive", "olive_normal": "flint", "olive_products": "shift",
               "dataflow": "weight_stationary"},
}


def everything_design():
    """One unit of every registered kind, at its minimum test config, and OVP arrays."""
    units = {}
    for kind in UNIT_KINDS.values():
        settings = kind.test_configs["minimum"]
        if isinstance(settings, str):
            settings = next(iter(load_config(CONFIGS / settings).units.values())).to_dict()
            settings.pop("kind")
        units[f"{kind.name}_unit"] = {"kind": kind.name, **settings}
    return parse_design({"name": "everything", "units": units | OVP_UNITS}, "everything")


@pytest.fixture(scope="module")
def everything():
    design = everything_design()
    with start_server(design) as server:
        yield design, server


@pytest.mark.slow
def test_every_kind_through_the_link(everything):
    """Each unit gets its bench's random and extreme jobs through the link, all units
    at once (their results interleave on the line), and answers every beat exactly."""
    design, server = everything
    with Accelerator.open(server.url, design) as accelerator:
        expected = send_bench_jobs(accelerator, design, seed=7, extreme=True)
        for name, ports in expected.items():
            for port, words in ports.items():
                got = accelerator.units[name].receive(port, len(words))
                assert got == words, f"{name}.{port}"
        status = accelerator.status()
        assert status["crc_errors"] == 0 and status["naks"] == 0


@pytest.mark.slow
def test_matmul_shapes(everything):
    design, server = everything
    rng = np.random.default_rng(3)
    with Accelerator.open(server.url) as accelerator:
        unit = accelerator.systolic_unit
        for m, k, n in [(1, 1, 1), (3, 70, 2), (9, 5, 4)]:
            a = rng.integers(-128, 128, (m, k))
            w = rng.integers(-128, 128, (k, n))
            assert np.array_equal(unit.matmul(a, w), a @ w)
        with pytest.raises(AccelgenError, match="must be signed 8-bit"):
            unit.matmul(np.full((2, 2), 128), np.ones((2, 2), dtype=int))


@pytest.mark.slow
def test_ovp_matmul(everything):
    """OVP-4 operands from the quantizer (outlier channels, odd K) multiply exactly on
    both dataflows; integers that are no OVP pair are refused."""
    design, server = everything
    rng = np.random.default_rng(5)
    with Accelerator.open(server.url) as accelerator:
        for name in OVP_UNITS:
            unit, normal = accelerator.units[name], design.units[name].olive_normal.value
            for m, k, n in [(1, 1, 1), (3, 41, 5)]:
                # an outlier channel of A, every tenth row of W
                a_real = rng.standard_normal((m, k)) * np.where(np.arange(k) == k // 2, 100, 1)
                w_real = rng.standard_normal((n, k)) * np.where(np.arange(k) % 10 == 3, 100, 1)
                a = olive.quantize(a_real, normal, per_row=False).integers()
                w = olive.quantize(w_real, normal).integers().T
                largest = max(design.units[name].olive_type.normal_values)
                assert k == 1 or (np.abs(a) > largest).any() and (np.abs(w) > largest).any()
                assert np.array_equal(unit.matmul(a, w), a @ w), (name, m, k, n)
            with pytest.raises(AccelgenError, match="matmul W: an OVP pair"):
                unit.matmul(np.ones((1, 2), dtype=int), np.array([[48], [1]]))


@pytest.mark.slow
def test_wrong_design_is_refused(everything):
    _, server = everything
    with pytest.raises(HostError, match="rebuild and program it"):
        Accelerator.open(server.url, load_config())


@pytest.mark.slow
def test_second_client_is_refused_and_first_goes_on(everything):
    design, server = everything
    with Accelerator.open(server.url, design) as first:
        with pytest.raises(HostError, match="another client is connected"):
            Accelerator.open(server.url, design)
        assert np.array_equal(first.systolic_unit.matmul(np.eye(2, dtype=int), np.eye(2, dtype=int)),
                              np.eye(2, dtype=int))


def test_absent_device_is_a_clear_error():
    with pytest.raises(HostError, match="cannot open"):
        Accelerator.open("socket://127.0.0.1:1")
    with pytest.raises(HostError, match="cannot open"):
        Accelerator.open("/dev/ttyACM_accelgen_absent")


def send_bench_jobs(accelerator, design, seed: int, extreme: bool = False) -> dict:
    """Every unit's random (and extreme) bench jobs queued; returns the words each
    output must give."""
    expected = {}
    for name, config in design.units.items():
        bench = UNIT_KINDS[config.kind].bench().jobs_only(config, seed=seed)
        jobs = bench.random_jobs() + (bench.extreme_jobs() if extreme else [])
        unit = accelerator.units[name]
        for port in unit.input_layouts:
            unit.send(port, [word for stimulus, _ in jobs for word in stimulus.get(port, [])])
        expected[name] = {port: [word for _, results in jobs for word in results[port]]
                          for port in unit.output_layouts}
    return expected


@pytest.mark.slow
def test_faults_on_the_line_are_recovered(everything):
    """A quarter of the host's frames damaged (bits, bytes, truncation, garbage, stray
    and refused frames) and one byte in 500 of what the device sends back (bits, bytes,
    garbage),
    until every kind of fault has happened: every result still exact, the link never
    stuck."""
    import serial

    from .fault_injection import FAULTS, READ_FAULTS, FaultyPort

    design, server = everything
    port = FaultyPort(serial.serial_for_url(server.url, timeout=0.02), rate=0.25, seed=5)
    rng = np.random.default_rng(11)
    with Accelerator.attach(port, design) as accelerator:
        accelerator.link.RETRY_SECONDS = 0.05
        port.read_rate = 0.002   # from here on (the identity is a long frame)
        for seed in range(20):
            accelerator.reset()      # the benches' job models start from a fresh unit
            for name, ports in send_bench_jobs(accelerator, design, seed).items():
                for port_name, words in ports.items():
                    got = accelerator.units[name].receive(port_name, len(words))
                    assert got == words, f"{name}.{port_name}, seed {seed}, {port.injected}"
            a, w = rng.integers(-128, 128, (7, 90)), rng.integers(-128, 128, (90, 3))
            assert np.array_equal(accelerator.systolic_unit.matmul(a, w), a @ w)
            if min(port.injected[fault] for fault in FAULTS + READ_FAULTS) >= 2:
                break
        status = accelerator.status()
        counters = accelerator.link.counters
    print(f"injected {sum(port.injected.values())} faults {dict(port.injected)}; "
          f"retransmissions {counters.retransmissions}, device CRC errors "
          f"{status['crc_errors']}, NAKs {status['naks']}; bad frames from the device "
          f"{counters.bad_frames}, result frames missed {counters.results_missed}, resent "
          f"on request {counters.resend_requests}")
    assert min(port.injected[fault] for fault in FAULTS + READ_FAULTS) >= 2
    assert counters.retransmissions > 0 and status["crc_errors"] > 0
    assert counters.bad_frames > 0 and counters.resend_requests > 0


@pytest.mark.slow
def test_typed_drivers_match_the_golden_models(everything):
    """Each kind's numpy API against its golden model (the minimum configs)."""
    from accelgen.golden import bitmod, ternary
    from accelgen.golden.kv_cache import ReferenceCache
    from accelgen.sim.bitserial_reference import expected_outputs

    design, server = everything
    rng = np.random.default_rng(21)
    with Accelerator.open(server.url, design) as accelerator:
        # ternary: BitLinear y = sat(round(T x · ws · as / 2^F))
        unit = accelerator.ternary_unit
        config = unit.config
        for _ in range(3):
            rows, cols = rng.integers(1, config.max_rows + 1), rng.integers(1, config.max_cols + 1)
            weights = rng.integers(-1, 2, (rows, cols))
            x = rng.integers(-128, 128, (4, cols))
            ws, scales = int(rng.integers(1, 1 << 16)), rng.integers(1, 1 << 16, 4)
            unit.load(weights, ws)
            expected = [ternary.rescale(config, ternary.matvec(config, weights, vector),
                                        ternary.combined_scale(ws, int(scale)))
                        for vector, scale in zip(x, scales)]
            assert np.array_equal(unit.apply(x, scales), expected)
        with pytest.raises(HostError, match="-1/0/\\+1"):
            unit.load(np.full((2, 2), 2), 1)

        # bit-serial: a BitMoD-quantized layer
        unit = accelerator.bitserial_unit
        config = unit.config
        layer = bitmod.quantize(rng.normal(size=(3, config.max_cols)), config.group_size,
                                config.table)
        x = rng.integers(*config.activation_range, (5, config.max_cols), endpoint=True)
        unit.load(layer)
        expected = [expected_outputs(config, layer.selectors, layer.scales, layer.codes, vector)
                    for vector in x]
        assert np.array_equal(unit.apply(x), expected)

        # KV cache: appends past capacity, scores, weighted values, clear, status
        unit = accelerator.kv_buffer_unit
        config = unit.config
        cache = ReferenceCache(config)
        low, high = config.input_range
        for step in range(config.max_tokens + 2):
            k, v = rng.integers(low, high + 1, (2, config.head_dim))
            position = unit.append(0, k, v)
            expected_position, refused = cache.append(0, k, v)
            assert position[0] == (-1 if refused else expected_position)
            q = rng.integers(-128, 128, config.head_dim)
            positions, values = unit.scores(0, q)
            assert np.array_equal(values, cache.scores(0, q))
            assert list(positions) == cache.positions(0)
            p = rng.integers(0, 1 << 16, len(values))
            assert np.array_equal(unit.weighted_values(0, p), cache.weighted_values(0, p))
        status = unit.status()
        assert status["length"][0] == cache.heads[0].length
        assert status["overflow"][0] == int(cache.heads[0].overflow)
        unit.clear()
        assert unit.status()["length"][0] == 0 and len(unit.scores(0, q)[0]) == 0


@pytest.mark.slow
def test_disconnect_mid_job_then_reconnect(everything):
    """The host vanishes with frames in flight and results unread; a new connection
    resets the units and computes exactly again."""
    import serial

    design, server = everything
    rng = np.random.default_rng(4)
    port = serial.serial_for_url(server.url, timeout=0.02)
    with Accelerator.attach(port, design) as accelerator:
        unit = accelerator.systolic_unit
        words = unit.input_layouts["operands"]
        a, w = rng.integers(-128, 128, (40, 60)), rng.integers(-128, 128, (60, 40))
        beats = pack(words, {"a": w[:, :1], "w": w[:, 1:2], "last": last_flags(60)})
        for _ in range(30):
            unit.send("operands", beats)      # queued; only the credits' worth goes out
        port.write(b"\xc0\x01\x07")           # and half a frame
    with Accelerator.open(server.url, design) as accelerator:
        assert np.array_equal(accelerator.systolic_unit.matmul(a, w), a @ w)


@pytest.mark.slow
def test_accelgen_serve_command(in_tmp):
    """`accelgen serve` prints its URL, the driver uses it, and SIGINT stops it; a
    system of some of the design's units (serve or build --unit) is accepted as the
    design's."""
    import signal
    import subprocess
    import sys

    # started with SIGINT ignored, as a script's background job is (and as the CI's worker
    # sometimes was): Python then installs no handler, and serve must set its own
    process = subprocess.Popen([sys.executable, "-m", "accelgen", "serve", "--unit", "gemm"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        line = process.stdout.readline()
        assert "serving the simulated accelerator at socket://127.0.0.1:" in line, \
            line + process.stderr.read()
        url = line.split(" at ")[1].split()[0]
        with Accelerator.open(url, load_config()) as accelerator:
            a = np.arange(12).reshape(3, 4) - 6
            w = np.arange(8).reshape(4, 2) - 4
            assert np.array_equal(accelerator.gemm.matmul(a, w), a @ w)
            assert list(accelerator.units) == ["gemm"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
            raise AssertionError(f"serve did not stop on SIGINT in 20 s: {err[-2000:]}")
        assert code == 0
