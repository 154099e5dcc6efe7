"""cocotb regressions of the generated Verilog against the golden models, on Verilator
and (where installed, and always in CI) Icarus."""

import re
from pathlib import Path

import pytest
import yaml

from accelgen.registry import UNIT_KINDS
from accelgen.sim import coverage
from accelgen.sim.runner import declared_tests, simulate

from .conftest import CONFIGS, case_design, kind_cases, simulators

# Verilator runs every config; Icarus, the second simulator (four-state, its own event
# order), each kind's minimum and a config of odd shapes, and the OVP-4 arrays
ICARUS = {(kind, "minimum") for kind, _ in kind_cases()} | {
    ("systolic", "ws-1x1"), ("systolic", "3x5-uint4"), ("systolic", "ovp-3x5"),
    ("systolic", "ovp-2x3-int8xflint"), ("systolic", "ws-ovp-5x3-flint"),
    ("ternary", "mlgru-2x3"), ("bitserial", "2bit-short-groups"),
    ("kv_buffer", "window-odd")}
RUNS = [(kind, case, simulator) for kind, case in kind_cases() for simulator in simulators()
        if simulator == "verilator" or (kind, case) in ICARUS]


@pytest.mark.slow
@pytest.mark.parametrize("kind,case,simulator", RUNS,
                         ids=[f"{kind}-{case}-{simulator}" for kind, case, simulator in RUNS])
def test_regression(kind, case, simulator, tmp_path):
    design, unit = case_design(kind, case)
    result = simulate(design, unit, simulator=simulator, seed=1, build_dir=tmp_path)
    log = result.log.read_text()
    # every test the kind's bench and the shared tests declare ran, but `measure` and
    # `soak`, which only `accelgen bench` and `sim --soak` ask for
    declared = declared_tests(UNIT_KINDS[kind])
    assert sorted(result.ran) == sorted(set(declared) - {"measure", "soak"}), log[-3000:]
    assert sorted(result.skipped) == ["measure", "soak"]
    assert result.passed, log[-3000:]
    # the regression reaches every functional coverage bin its bench declares
    assert result.coverage and not coverage.missed(result.coverage), \
        coverage.missed(result.coverage)


@pytest.mark.slow
def test_a_broken_netlist_fails_and_names_seed_config_and_element(cli, in_tmp):
    code, _, _ = cli("generate", "-o", "rtl")
    text = (in_tmp / "rtl" / "gemm.v").read_text()
    # PE (0, 0) subtracts its products instead of adding them
    marker = "$signed(acc_0_0) + $signed(product_0_0_d1)"
    assert marker in text, "the mutation does not apply; update the marker"
    broken = text.replace(marker, "$signed(acc_0_0) - $signed(product_0_0_d1)")
    (in_tmp / "broken.v").write_text(broken)
    code, out, _ = cli("sim", "--unit", "gemm", "--verilog", "broken.v", "--seed", "5")
    assert code == 1 and "FAIL" in out
    log = next(in_tmp.glob("build/accelgen_default/sim/*-given/sim.log")).read_text()
    assert "seed 5, config SystolicConfig(rows=4, cols=4" in log
    assert "first mismatch at result beat" in log


def test_sim_arguments_are_checked(cli, tmp_path, in_tmp):
    code, _, err = cli("sim", "--simulator", "modelsim")
    assert code == 2 and "allowed: verilator, icarus" in err
    code, _, err = cli("sim", "--seed", "-1")
    assert code == 2 and "--seed: must be an integer 0..4294967295, got -1" in err
    code, _, err = cli("sim", "--unit", "nope")
    assert code == 2 and "no unit 'nope'" in err
    code, _, err = cli("sim", "--unit", "gemm", "--post-synthesis", "ecp5-85k",
                       "--simulator", "icarus")
    assert code == 2 and "verilator only" in err
    code, _, err = cli("sim", "--unit", "gemm", "--post-synthesis", "xc7")
    assert code == 2 and "unknown device 'xc7'" in err
    code, _, err = cli("sim", "--verilog", tmp_path / "missing.v")
    assert code == 2 and "the design has several units; name one with --unit" in err
    code, _, err = cli("sim", "--unit", "gemm", "--verilog", tmp_path / "missing.v")
    assert code == 2 and "file not found" in err
    other = tmp_path / "other.v"
    other.write_text("module something(input a);\nendmodule\n")
    code, _, err = cli("sim", "--unit", "gemm", "--verilog", other)
    assert code == 2 and "has no module 'accelgen_default_gemm'" in err
    broken = tmp_path / "broken.v"
    broken.write_text("module accelgen_default_gemm(input clk);\n  assign = ;\nendmodule\n")
    code, _, err = cli("sim", "--unit", "gemm", "--verilog", broken)
    assert code == 2 and "does not build with verilator" in err


# A mutated netlist must fail its bench, and the log must name the seed, the config and
# the first wrong element: (a preset, or unit settings for a small design; unit file,
# marker, its mutation, config prefix, the result field that goes wrong).
MUTATIONS = {
    # row 0's adder tree subtracts its right half
    "ternary-adder-tree": ("ternary_8x2.yaml", "bitlinear.v",
                           "$signed(row0_l2_0) + $signed(row0_l2_1)",
                           "$signed(row0_l2_0) - $signed(row0_l2_1)",
                           "TernaryConfig(lanes_in=8, lanes_out=2", "y[0]"),
    # row 0's dequantizer reads the wrong bit of its scale
    "bitserial-scaler": ("bitserial_w4.yaml", "bitmod.v", "scale0[7] ? partial0",
                         "scale0[6] ? partial0", "BitSerialConfig(pes=4, lanes=8", "y[0]"),
    # the score's lane tree subtracts lanes 2 and 3
    "kv-score-tree": ({"kind": "kv_buffer",
                       **UNIT_KINDS["kv_buffer"].test_configs["sink-window"]}, "kv.v",
                      "$signed(score_tree_l1_0) + $signed(score_tree_l1_1)",
                      "$signed(score_tree_l1_0) - $signed(score_tree_l1_1)",
                      "KVBufferConfig(heads=2, head_dim=8", "value[0]"),
}


@pytest.mark.slow
@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_a_broken_unit_fails_and_names_the_first_wrong_element(mutation, cli, in_tmp,
                                                                write_config):
    source, unit_file, marker, broken, config, field = MUTATIONS[mutation]
    if isinstance(source, dict):
        unit = unit_file.removesuffix(".v")
        path = write_config(yaml.safe_dump({"name": "mutant", "units": {unit: source}}))
        design = "mutant"
    else:
        path, design = CONFIGS / source, source.removesuffix(".yaml")
    code, _, _ = cli("generate", path, "-o", "rtl")
    text = (in_tmp / "rtl" / unit_file).read_text()
    assert marker in text, "the mutation does not apply; update the marker"
    (in_tmp / "broken.v").write_text(text.replace(marker, broken))
    code, out, _ = cli("sim", path, "--verilog", "broken.v", "--seed", "3")
    assert code == 1 and "FAIL" in out
    log = next(in_tmp.glob(f"build/{design}/sim/*-given/sim.log")).read_text()
    assert f"seed 3, config {config}" in log
    assert "first mismatch at result beat" in log and f"field {field}" in log


@pytest.mark.slow
def test_soak_runs_the_jobs_asked_for_and_replays_by_seed(cli, write_config, in_tmp):
    path = write_config("name: soaked\nunits:\n  a: {kind: systolic, rows: 2, cols: 1, "
                        "max_depth: 16}\n")
    code, out, err = cli("sim", path, "--soak", "60", "--seed", "7")
    assert code == 0, err
    assert out.startswith("a [verilator, seed 7]: soak of 60 jobs: PASS; coverage ")
    log = Path(out.rsplit("log ", 1)[1].strip()).read_text()
    summary = re.search(r"soak: 60 jobs in (\d+) batches, (\d+) resets, (\d+) cycles", log)
    assert summary is not None and int(summary.group(1)) >= 8
    code, out, _ = cli("sim", path, "--soak", "60", "--seed", "7")
    again = Path(out.rsplit("log ", 1)[1].strip()).read_text()
    assert summary.group(0) in again          # the same draws: the same run
    code, _, err = cli("sim", path, "--soak", "0")
    assert code == 2 and err == "error: --soak: must be 1..10000000 jobs, got 0\n"


@pytest.mark.slow
def test_sim_reports_coverage_and_writes_it_with_coverage(cli, write_config, in_tmp):
    path = write_config("name: covered\nunits:\n  a: {kind: systolic, rows: 2, cols: 1, "
                        "max_depth: 16}\n")
    code, out, err = cli("sim", path, "--coverage", "reports/coverage.md")
    assert code == 0, err
    line = out.splitlines()[0]
    assert re.search(r": PASS \d+/\d+ tests, 2 skipped; coverage (\d+)/\1 bins \(100\.0%\); ",
                     line), line
    report = (in_tmp / "reports" / "coverage.md").read_text()
    assert report.startswith("# Functional coverage of a: ")
    for group in ("## reduction length (3/3)", "## reset during (4/4)",
                  "## held back: operands (3/3)", "## jobs back to back: operands (1/1)",
                  "## longest reduction, every operand at an end (4/4)"):
        assert group in report
    assert "never hit" not in report
    (in_tmp / "folder").mkdir()
    code, _, err = cli("sim", path, "--coverage", "folder")
    assert code == 2 and err == "error: --coverage: folder is a folder; give a file name\n"
