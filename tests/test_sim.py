"""cocotb regressions of the generated Verilog against the golden models, on Verilator
and (where installed, and always in CI) Icarus."""

import pytest
import yaml

from accelgen import load_config
from accelgen.config import parse_design
from accelgen.sim.runner import simulate

from .conftest import CONFIGS, simulators

CASES = {
    "1x1": {"rows": 1, "cols": 1, "max_depth": 64},
    "default": None,
    "3x5-uint4": {"rows": 3, "cols": 5, "activation_bits": 4, "weight_bits": 4,
                  "signed": False, "max_depth": 100},
    # large enough that Verilator splits the model into several files (precompiled header)
    "8x8-int8-k256": {"rows": 8, "cols": 8, "max_depth": 256},
    "4x4-acc16-wraps": {"rows": 4, "cols": 4, "accumulator_bits": 16, "max_depth": 300},
    "ws-1x1": {"rows": 1, "cols": 1, "dataflow": "weight_stationary"},
    "ws-3x5-int8xint4": {"rows": 3, "cols": 5, "weight_bits": 4,
                         "dataflow": "weight_stationary"},
    "ws-5x2-uint2xuint3": {"rows": 5, "cols": 2, "activation_bits": 2, "weight_bits": 3,
                           "signed": False, "dataflow": "weight_stationary"},
    "ws-2x4-preset": "ws_int8_2x4.yaml",
    "ternary-default": {"kind": "ternary"},
    "ternary-1x1": {"kind": "ternary", "lanes_in": 1, "lanes_out": 1, "max_rows": 3,
                    "max_cols": 2},
    "ternary-preset": "ternary_8x2.yaml",
    # odd lanes and sizes, base-3 packing, one weight bank, 5-bit activations
    "ternary-3x5-base3-single": {"kind": "ternary", "lanes_in": 3, "lanes_out": 5,
                                 "max_rows": 13, "max_cols": 7, "packing": "base3",
                                 "double_buffer": False, "activation_bits": 5},
    "ternary-mlgru-preset": "ternary_mlgru.yaml",
    # 128-bit weight words: wider than the bench's int64 fields
    "ternary-8x8-wide": {"kind": "ternary", "lanes_in": 8, "lanes_out": 8, "max_rows": 24,
                         "max_cols": 40},
    "ternary-mlgru-2x3": {"kind": "ternary", "lanes_in": 2, "lanes_out": 3, "max_rows": 7,
                          "max_cols": 9, "mlgru": True, "scale_fraction_bits": 6,
                          "output_bits": 16},
    "bitserial-preset": "bitserial.yaml",
    "bitserial-1x1": {"kind": "bitserial", "pes": 1, "lanes": 1, "group_size": 3,
                      "max_groups": 3, "datatypes": ["fp4", "int2"]},
    # two planes per cycle; a group of one chunk is shorter than the scaler's 8 cycles
    "bitserial-2bit-short-groups": {"kind": "bitserial", "pes": 3, "lanes": 5,
                                    "bits_per_cycle": 2, "group_size": 5, "max_groups": 7,
                                    "datatypes": ["int3", "fp3", "int8"]},
    # integers only (no shifter), 6-bit activations, results rounded and saturated
    "bitserial-int-saturating": {"kind": "bitserial", "pes": 2, "lanes": 4, "group_size": 12,
                                 "max_groups": 5, "datatypes": ["int4", "int2"],
                                 "activation_bits": 6, "output_bits": 12,
                                 "output_shift": 5},
    # sinks and a ring; two chunks per head; block RAM
    "kv-sink-window": {"kind": "kv_buffer", "heads": 2, "head_dim": 8, "lanes": 4,
                       "max_tokens": 6, "sink_tokens": 2},
    # odd everything: 3 heads (head 3 exists in the 2-bit field), 13 dimensions in
    # chunks of 5, a window of 7, 8-bit codes of int8 inputs
    "kv-window-odd": {"kind": "kv_buffer", "heads": 3, "head_dim": 13, "lanes": 5,
                      "max_tokens": 7, "policy": "window", "sink_tokens": 0, "kv_bits": 8,
                      "input_bits": 8},
    # a head in one chunk (head_dim = lanes): one pass per value job; one sink
    "kv-one-chunk": {"kind": "kv_buffer", "heads": 1, "head_dim": 4, "lanes": 4,
                     "max_tokens": 3, "sink_tokens": 1, "kv_bits": 8, "input_bits": 8},
    # one lane, refusals when full, the SPRAM style
    "kv-none-1-lane-spram": {"kind": "kv_buffer", "heads": 1, "head_dim": 3, "lanes": 1,
                             "max_tokens": 5, "policy": "none", "sink_tokens": 0,
                             "memory": "spram"},
}


def design_for(case):
    settings = CASES[case]
    if settings is None:
        return load_config(), "gemm"
    if isinstance(settings, str):
        design = load_config(CONFIGS / settings)
        return design, next(iter(design.units))
    settings = {"kind": "systolic", **settings}
    return parse_design({"name": "t", "units": {"u": settings}}, case), "u"


@pytest.mark.slow
@pytest.mark.parametrize("simulator", simulators())
@pytest.mark.parametrize("case", list(CASES))
def test_regression(case, simulator, tmp_path):
    design, unit = design_for(case)
    result = simulate(design, unit, simulator=simulator, seed=1, build_dir=tmp_path)
    log = result.log.read_text()
    # systolic: random and shortest jobs, stalls, extremes, reset mid-job, back-to-back,
    # latency; ternary: random jobs, weight patterns, stalls, reset mid-job, a decode
    # sequence, reloads, latency; bitserial: random jobs, every datatype, a quantized
    # layer, stalls, reset mid-job, cycles per datatype, latency; kv_buffer: fill beyond
    # capacity, interleaved heads, extremes, stalls, reset mid-read, full-rate reads,
    # latency; all: measure, skipped
    assert result.tests == 8, log[-3000:]
    assert result.passed, log[-3000:]


@pytest.mark.slow
def test_a_broken_netlist_fails_and_names_seed_config_and_element(cli, in_tmp):
    code, _, _ = cli("generate", "-o", "rtl")
    text = (in_tmp / "rtl" / "gemm.v").read_text()
    # PE (0, 0) subtracts its products instead of adding them
    marker = "+ $signed(product_0_0)"
    assert marker in text, "the mutation does not apply; update the marker"
    broken = text.replace(marker, "- $signed(product_0_0)")
    (in_tmp / "broken.v").write_text(broken)
    code, out, _ = cli("sim", "--verilog", "broken.v", "--seed", "5")
    assert code == 1 and "FAIL" in out
    log = next(in_tmp.glob("build/accelgen_default/sim/*-given/sim.log")).read_text()
    assert "seed 5, config SystolicConfig(rows=4, cols=4" in log
    assert "first mismatch at result beat" in log


def test_sim_arguments_are_checked(cli, tmp_path, in_tmp):
    code, _, err = cli("sim", "--simulator", "modelsim")
    assert code == 2 and "allowed: verilator, icarus" in err
    code, _, err = cli("sim", "--unit", "nope")
    assert code == 2 and "no unit 'nope'" in err
    code, _, err = cli("sim", "--verilog", tmp_path / "missing.v")
    assert code == 2 and "file not found" in err
    other = tmp_path / "other.v"
    other.write_text("module something(input a);\nendmodule\n")
    code, _, err = cli("sim", "--verilog", other)
    assert code == 2 and "has no module 'accelgen_default_gemm'" in err
    broken = tmp_path / "broken.v"
    broken.write_text("module accelgen_default_gemm(input clk);\n  assign = ;\nendmodule\n")
    code, _, err = cli("sim", "--verilog", broken)
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
    "kv-score-tree": ({"kind": "kv_buffer", "heads": 2, "head_dim": 8, "lanes": 4,
                       "max_tokens": 6, "sink_tokens": 2}, "kv.v",
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
