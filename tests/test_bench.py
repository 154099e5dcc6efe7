"""`accelgen bench`: utilization measured in RTL simulation, for both dataflows."""

import json

import pytest

from .conftest import CONFIGS


@pytest.mark.slow
@pytest.mark.parametrize("preset", [None, "ws_int8_2x4.yaml"])
def test_bench_reports_steady_state_utilization(preset, cli, in_tmp):
    args = ["bench"] + ([CONFIGS / preset] if preset else []) + ["--json", "bench.json"]
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
    assert "util" in out


def test_bench_bad_unit(cli):
    code, _, err = cli("bench", "--unit", "nope")
    assert code == 2 and "no unit 'nope'" in err


def test_check_prints_resolved_config(cli):
    code, out, _ = cli("check")
    assert code == 0 and "accumulator_bits: null" in out and "kind: systolic" in out


def test_no_command_is_a_usage_error(cli):
    code, _, err = cli()
    assert code == 2 and err.startswith("error: ")


def test_module_entry_point_runs():
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "accelgen", "check"], capture_output=True,
                          text=True)
    assert done.returncode == 0 and "gemm" in done.stdout


def test_python_api_mirrors_the_cli(tmp_path):
    import accelgen
    design = accelgen.load_config()
    made, = accelgen.generate(design, tmp_path)
    assert made.verilog.is_file() and made.manifest.is_file()
    for name in ("simulate", "synthesize", "build_board", "bench"):
        assert callable(getattr(accelgen, name))
