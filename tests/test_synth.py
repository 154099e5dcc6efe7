"""Real yosys + nextpnr runs (YoWASP) on the default config and an INT8 preset."""

import json

import pytest

from accelgen import load_config
from accelgen.synth.devices import DEVICES
from accelgen.synth.flow import abc9_failure, multiplier_split, yosys_script
from accelgen.synth.harness import harness_verilog

from .conftest import CONFIGS


@pytest.mark.slow
@pytest.mark.parametrize("device", ["ice40-up5k", "ecp5-85k"])
def test_default_config_synthesizes(device, cli, in_tmp):
    code, out, _ = cli("synth", "--device", device, "--json", "report.json")
    assert code == 0, out
    report = json.loads((in_tmp / "report.json").read_text())
    assert report["device"] == device
    gemm = report["units"]["gemm"]
    assert set(gemm) >= {"lut4", "ff", "dsp", "bram", "fmax_mhz", "flow"}
    assert gemm["lut4"] > 100 and gemm["ff"] > 100 and gemm["fmax_mhz"] > 20
    assert gemm["flow"].startswith("abc9")
    if device == "ice40-up5k":
        # 16 multipliers of 8 x 4 bits, two to an SB_MAC16 (its 8x8 mode), none in LUTs
        assert gemm["dsp"] == 8
        assert "16 multipliers in 8 SB_MAC16 (registered)" in gemm["flow"]
        assert "in LUTs" not in gemm["flow"]
    else:
        # 16 multipliers of 8 x 4 bits, a column pair to a MULT18X18D (packed)
        assert gemm["dsp"] == 8
        assert "16 multipliers in 8 MULT18X18D (registered)" in gemm["flow"]
    assert "gemm" in out and "Fmax" in out
    # every unit of the default, and the fit estimate against what synthesis measured:
    # block RAM exactly, LUT4 within the estimated range, flip-flops within a half (yosys
    # packs some into the SB_MAC16s and drops those it proves constant)
    from accelgen.fit import estimate
    design = load_config()
    assert set(report["units"]) == set(design.units)
    for name, config in design.units.items():
        measured, fit = report["units"][name], estimate([config], device)
        assert fit.bram_blocks == measured["bram"], name
        assert fit.lut_low <= measured["lut4"] <= fit.lut_high, (name, fit, measured)
        assert abs(fit.flip_flops - measured["ff"]) <= measured["ff"] / 2, (name, fit, measured)


@pytest.mark.slow
def test_int8_array_on_ecp5_uses_mult18x18d(in_tmp):
    from accelgen.synth.flow import synthesize
    report = synthesize(load_config(CONFIGS / "ws_int8_2x4.yaml"), "ecp5-85k")
    gemv = report["units"]["gemv"]
    assert gemv["cells"]["MULT18X18D"] == 2 * 4
    assert gemv["dsp"] == 8


@pytest.mark.slow
def test_fallback_flow_without_abc9_runs(in_tmp):
    """The flow used when ABC9 crashes, run for real, and named in the report."""
    from accelgen.synth.flow import synthesize
    report = synthesize(load_config(CONFIGS / "ws_int8_2x4.yaml"), "ice40-up5k", flow="abc")
    gemv = report["units"]["gemv"]
    # 8 products of 8 x 8 bits, two to an SB_MAC16
    assert gemv["flow"] == "abc, 8 multipliers in 4 SB_MAC16 (registered)"
    assert gemv["dsp"] == 4 and gemv["lut4"] > 50


def test_abc9_crash_is_recognized():
    log = "ERROR: wasm trap: call stack exhausted\n  in abc9"
    assert abc9_failure(log) == "call stack exhausted"
    # YoWASP's ABC9 also dies without a word on some netlists (yosys -q prints nothing)
    assert abc9_failure("") == "exited without a message"
    assert abc9_failure("ERROR: Can't open input file `u.v' for reading") is None
    # and yosys 0.70's ABC9 reintegration has failed an internal assertion (kv_cache, ECP5)
    assert abc9_failure("ERROR: Assert `GetSize(conn.first) == GetSize(conn.second)' "
                        "failed in kernel/rtlil.cc") == "internal assertion"


def test_fallback_script_replaces_abc9():
    ecp5, ice40 = DEVICES["ecp5-85k"], DEVICES["ice40-up5k"]
    script = yosys_script(ecp5, "m", "u.v", "abc", [])
    assert "-run :map_luts" in script and "abc -lut 4" in script
    assert "-run map_cells:" in script
    assert "synth_ice40 -dsp -spram -top accelgen_synth_harness -noabc" in yosys_script(
        ice40, "m", "u.v", "abc", [])
    assert "abc -lut" not in yosys_script(ecp5, "m", "u.v", "abc9", [])


def test_multipliers_beyond_the_dsp_count_go_to_luts():
    shapes = load_config().units["gemm"].multiplier_shapes
    assert len(shapes) == 16
    split = multiplier_split(DEVICES["ice40-up5k"], shapes)
    assert split[-1] == "booth " + " ".join(f"*/accelgen_mul_{k}" for k in range(8, 16))
    assert multiplier_split(DEVICES["ecp5-85k"], shapes) == []
    # with DSP primitives (hw/dsp.py): those they leave are the $mul cells yosys sees;
    # on iCE40 it infers none beside primitives (its ice40_dsp pass would rewrite them)
    assert multiplier_split(DEVICES["ice40-up5k"], shapes, 8, 16) == []
    split = multiplier_split(DEVICES["ice40-up5k"], shapes, 4, 8)
    assert split[-1] == "booth " + " ".join(f"*/accelgen_mul_{k}" for k in range(8))
    assert multiplier_split(DEVICES["ecp5-85k"], shapes, 10, 10) == []


def test_wide_multipliers_count_every_dsp_cell_they_take():
    from accelgen.ternary_config import TernaryConfig
    ice40 = DEVICES["ice40-up5k"]
    assert ice40.dsp_cells((17, 16)) == 2 and DEVICES["ecp5-85k"].dsp_cells((17, 16)) == 1
    # the scale product, and per lane a 16-bit row sum times two 16-bit scale halves
    fits = TernaryConfig(lanes_in=8, lanes_out=2, max_cols=128)    # 1 + 2 x 2 cells
    assert ice40.soft_multipliers(fits.multiplier_shapes) == 0
    over = TernaryConfig(lanes_out=4, max_cols=128)                  # 1 + 4 x 2 cells
    assert ice40.soft_multipliers(over.multiplier_shapes) == 1
    wide = TernaryConfig(lanes_out=4, max_cols=256)    # 17-bit sums: 2 cells each
    assert ice40.soft_multipliers(wide.multiplier_shapes) == 9 - 8 // 2


def test_harness_connects_every_port():
    manifest = {"module": "m", "ports": [
        {"name": "clk", "direction": "input", "width": 1},
        {"name": "rst", "direction": "input", "width": 1},
        {"name": "x__payload", "direction": "input", "width": 5},
        {"name": "x__valid", "direction": "input", "width": 1},
        {"name": "y__payload", "direction": "output", "width": 9}]}
    text = harness_verilog(manifest)
    assert ".x__payload(chain[4:0])" in text and ".x__valid(chain[5:5])" in text
    assert ".y__payload(outs[8:0])" in text and "assign sout" in text


def test_synth_arguments_are_checked(cli):
    code, _, err = cli("synth", "--device", "xc7a35t")
    assert code == 2 and "allowed: ice40-up5k, ice40-hx1k, ice40-hx8k, ecp5-12k, ecp5-25k, " \
        "ecp5-45k, ecp5-85k, gowin-gw1nr-9, gowin-gw2a-18" in err
    code, _, err = cli("synth")
    assert code == 2 and "--device" in err
    code, _, err = cli("synth", "--device", "ecp5-85k", "--flow", "vpr")
    assert code == 2 and "allowed: abc9, abc" in err
