"""`accelgen bench`: utilization measured in RTL simulation, for both systolic dataflows
and the ternary unit."""

import json

import pytest

from .conftest import CONFIGS


@pytest.mark.slow
@pytest.mark.parametrize("preset", [None, "ws_int8_2x4.yaml"])
def test_bench_reports_steady_state_utilization(preset, cli, in_tmp):
    args = ["bench"] + ([CONFIGS / preset] if preset else ["--unit", "gemm"]) + \
        ["--json", "bench.json"]
    code, out, err = cli(*args)
    assert code == 0, err
    report = json.loads((in_tmp / "bench.json").read_text())
    unit, = report["units"].values()
    assert unit["jobs"] == 8 and unit["depth"] == 256
    rows_cols = unit["peak_macs_per_cycle"]
    assert unit["macs"] == 8 * 256 * rows_cols
    # back-to-back K=256 jobs: every input cycle does rows x cols MACs
    assert unit["steady_cycles"] == 8 * 256
    assert unit["utilization"] >= 0.95
    assert unit["utilization_with_drain"] >= 0.95
    assert "utilization" in out


@pytest.mark.slow
@pytest.mark.parametrize("preset,projections", [("ternary_8x2.yaml", 1),
                                                ("ternary_mlgru.yaml", 3)])
def test_ternary_decode_sequence_keeps_the_lanes_busy(preset, projections, cli, in_tmp):
    """One weight load, 16 vectors: >= 95% of lanes_in x lanes_out MACs every cycle
    once the weights are loaded; a vector takes one cycle per weight word."""
    code, out, err = cli("bench", CONFIGS / preset, "--json", "bench.json")
    assert code == 0, err
    unit, = json.loads((in_tmp / "bench.json").read_text())["units"].values()
    rows, cols = unit["rows"], unit["cols"]
    assert unit["macs"] == 16 * rows * cols * projections
    assert unit["cycles_per_vector"] == unit["load_cycles"]
    assert unit["utilization"] >= 0.95
    # what is left is the latency of the last vector's results
    assert unit["cycles"] - 16 * unit["cycles_per_vector"] < 40


@pytest.mark.slow
def test_bitserial_cycles_follow_the_weight_precision(cli, in_tmp):
    """BitMoD's claim: a group costs PE time in proportion to its datatype's bits."""
    code, out, err = cli("bench", CONFIGS / "bitserial.yaml", "--json", "bench.json")
    assert code == 0, err
    unit, = json.loads((in_tmp / "bench.json").read_text())["units"].values()
    cycles = unit["cycles_per_group"]
    for family, bits in (("int8", 8), ("int4", 4), ("int3", 3), ("int2", 2)):
        assert cycles[family] / cycles["int2"] == pytest.approx(bits / 2, rel=0.10)
    # 128 weights over 8 lanes: 16 chunks of ceil(planes) cycles; FP4 at its ER variants'
    # 4 planes, FP3 at 3
    assert cycles["int4"] == 64 and cycles["fp4"] == 64 and cycles["fp3"] == 48
    assert unit["utilization"] >= 0.95
    # the quantized 4-bit layer takes exactly the steps its rows' widest datatypes need
    assert unit["mixture_cycles"] == unit["mixture_step_cycles"]
    assert 48 <= unit["mixture_cycles_per_group"] <= 64
    assert "cycles_per_group {int2 32" in out


@pytest.mark.slow
def test_kv_buffer_reads_a_full_head_at_lanes_macs_per_cycle(cli, in_tmp, write_config):
    path = write_config("name: kv\nunits:\n  kv: {kind: kv_buffer, heads: 2, head_dim: 32, "
                        "lanes: 4, max_tokens: 128, policy: window, sink_tokens: 0}\n")
    code, out, err = cli("bench", path, "--json", "bench.json")
    assert code == 0, err
    unit = json.loads((in_tmp / "bench.json").read_text())["units"]["kv"]
    # 128 tokens x 8 chunks = 1024 cycles of reads; the last score leaves the latency
    # (6 + read_stages = 6 + 7 + log2(4)) after the last read's issue
    assert unit["score_utilization"] >= 0.95 and unit["value_utilization"] >= 0.95
    assert unit["score_cycles"] == 1024 + (6 + 9) - 1
    # a 16-bit word of codes per cycle, and a 15-bit scale per 8 of them
    assert unit["read_bytes_per_cycle"] == pytest.approx(128 * (8 * 2 + 15 / 8) /
                                                         unit["score_cycles"])
    # 3·head_dim + divider stages (kv_bits - 1) + read_stages + 10
    assert unit["append_latency"] == 3 * 32 + 3 + 9 + 10
    assert "score_utilization 9" in out


def test_bench_bad_unit(cli):
    code, _, err = cli("bench", "--unit", "nope")
    assert code == 2 and "no unit 'nope'" in err


def test_check_prints_resolved_config(cli):
    code, out, _ = cli("check")
    assert code == 0 and "accumulator_bits: null" in out and "kind: systolic" in out


def test_no_command_is_a_usage_error(cli):
    code, _, err = cli()
    assert code == 2 and err.startswith("usage: accelgen") and "list" in err


def test_module_entry_point_runs():
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "accelgen", "check"], capture_output=True,
                          text=True)
    assert done.returncode == 0 and "gemm" in done.stdout


def test_python_api_mirrors_the_cli(tmp_path):
    import accelgen
    design = accelgen.load_config()
    made = accelgen.generate(design, tmp_path)
    assert [item.unit for item in made] == list(design.units) == ["gemm", "bitlinear",
                                                                   "dequant", "kv"]
    assert all(item.verilog.is_file() and item.manifest.is_file() for item in made)
    for name in ("simulate", "synthesize", "build_board", "bench"):
        assert callable(getattr(accelgen, name))
