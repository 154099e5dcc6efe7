"""The units' regular cocotb regressions on the netlists Yosys makes for each family (with
the cells' simulation models), and the DSP cells of those netlists: every multiplier's
DSP has its input and output registers on, so nextpnr's Fmax is the silicon's."""

import json

import pytest

from accelgen.config import parse_design
from accelgen.sim.runner import simulate
from accelgen.synth.flow import synthesize

# small configs: a post-synthesis netlist is thousands of cells for Verilator to build
SYSTOLIC = {
    "os_int8x4": {"kind": "systolic", "rows": 2, "cols": 3, "activation_bits": 8,
                  "weight_bits": 4, "max_depth": 64},
    "ws_int8": {"kind": "systolic", "rows": 2, "cols": 2, "dataflow": "weight_stationary"},
}
FAMILY_DEVICE = {"ice40": "ice40-up5k", "ecp5": "ecp5-85k"}


def design(units: dict):
    return parse_design({"name": "post", "units": units}, "test_post_synthesis")


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILY_DEVICE)
@pytest.mark.parametrize("unit", SYSTOLIC)
def test_systolic_netlist_passes_its_regression(unit, family, in_tmp):
    result = simulate(design({unit: SYSTOLIC[unit]}), unit,
                      post_synthesis=FAMILY_DEVICE[family])
    assert result.passed and result.tests == 8, result.log.read_text()[-3000:]


def registers_wanted(cell_type: str, parameters: dict) -> dict:
    """The parameters that switch on a DSP cell's input and output registers."""
    if cell_type == "MULT18X18D":
        return {"REG_INPUTA_CLK": "CLK0", "REG_INPUTB_CLK": "CLK0", "REG_OUTPUT_CLK": "CLK0"}
    if parameters.get("MODE_8x8") == 1:       # two 8x8 products, each with its register
        return {"A_REG": 1, "B_REG": 1, "TOP_8x8_MULT_REG": 1, "BOT_8x8_MULT_REG": 1}
    return {"A_REG": 1, "B_REG": 1, "PIPELINE_16x16_MULT_REG2": 1}


def parameter_value(value: str):
    """A netlist JSON parameter: a bit string (a number) or a string."""
    return int(value, 2) if set(value) <= {"0", "1"} and value else value.strip()


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILY_DEVICE)
def test_every_dsp_of_the_arrays_is_registered(family, in_tmp):
    """The synthesized netlist of both arrays: every product in a DSP (on the UP5K two
    8-bit products to an SB_MAC16), each DSP with its registers on (yosys must not have
    rewritten them)."""
    device_name = FAMILY_DEVICE[family]
    units = {name: dict(settings, rows=3, cols=3) for name, settings in SYSTOLIC.items()}
    report = synthesize(design(units), device_name)
    for name in units:
        netlist = json.loads((in_tmp / "build" / "post" / "synth" / device_name / name /
                              "netlist.json").read_text())
        cells = [cell for module in netlist["modules"].values()
                 for cell in module["cells"].values()
                 if cell["type"] in ("MULT18X18D", "SB_MAC16")]
        assert len(cells) == report["units"][name]["dsp"] == {"ice40": 5, "ecp5": 9}[family]
        assert "9 multipliers in" in report["units"][name]["flow"]
        for cell in cells:
            parameters = {key: parameter_value(value)
                          for key, value in cell["parameters"].items()}
            wanted = registers_wanted(cell["type"], parameters)
            assert {key: parameters.get(key) for key in wanted} == wanted, (name, parameters)
