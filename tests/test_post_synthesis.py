"""The units' regular cocotb regressions on the netlists Yosys makes for each family (with
the cells' simulation models), for every unit kind; and the DSP cells of those netlists:
every DSP primitive has its input and output registers on, so nextpnr's Fmax is the
silicon's."""

import json

import pytest

from accelgen.config import parse_design
from accelgen.sim.runner import simulate
from accelgen.synth.flow import synthesize

from .conftest import sweep

# small configs: a post-synthesis netlist is thousands of cells for Verilator to build
SYSTOLIC = {
    # on ECP5 both arrays' INT4 weights go two to a MULT18X18D (column pairs), one alone
    "os_int8x4": {"kind": "systolic", "rows": 2, "cols": 3, "activation_bits": 8,
                  "weight_bits": 4, "max_depth": 64},
    "ws_int8x4": {"kind": "systolic", "rows": 2, "cols": 3, "dataflow": "weight_stationary",
                  "activation_bits": 8, "weight_bits": 4},
}
# one of every other kind: each has block RAM (DP16KD on ECP5: our model) and the ternary
# unit's rescale products are DSP primitives (yosys's iCE40 DSP inference maps them wrong)
# and, on ECP5, its lane pairs carry chains (3 lanes: a pair and one alone)
OTHER_KINDS = {
    "ternary": {"kind": "ternary", "lanes_in": 3, "lanes_out": 2, "max_rows": 8,
                "max_cols": 8, "double_buffer": False},
    "bitserial": {"kind": "bitserial", "pes": 2, "lanes": 2, "group_size": 16,
                  "datatypes": ["int3", "int4", "fp3", "fp4"], "max_groups": 2},
    "kv_buffer": {"kind": "kv_buffer", "heads": 1, "head_dim": 8, "max_tokens": 16,
                  "kv_bits": 4, "lanes": 2, "policy": "sink_window", "sink_tokens": 2},
}
FAMILY_DEVICE = {"ice40": "ice40-up5k", "ecp5": "ecp5-85k"}


def design(units: dict):
    return parse_design({"name": "post", "units": units}, "test_post_synthesis")


# every unit on both families with ACCELGEN_FULL_SWEEPS; else each once, on the family
# whose netlist has our own parts (packed MULT18X18D pairs, carry chains and our DP16KD
# model on ECP5; the SB_MAC16's 8x8 mode on iCE40)
NETLISTS = sweep([(unit, family) for unit in [*SYSTOLIC, *OTHER_KINDS] for family in FAMILY_DEVICE],
                 [("os_int8x4", "ecp5"), ("ws_int8x4", "ice40"), ("ternary", "ecp5"),
                  ("bitserial", "ice40"), ("kv_buffer", "ecp5")])


@pytest.mark.slow
@pytest.mark.parametrize("unit,family", NETLISTS, ids=[f"{u}-{f}" for u, f in NETLISTS])
def test_netlist_passes_its_regression(unit, family, in_tmp):
    settings = {**SYSTOLIC, **OTHER_KINDS}[unit]
    result = simulate(design({unit: settings}), unit, post_synthesis=FAMILY_DEVICE[family])
    assert result.passed and result.tests >= 8, result.log.read_text()[-3000:]


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
def test_every_dsp_is_registered(family, in_tmp):
    """The synthesized netlists of both arrays and of the ternary unit (its rescale):
    every product in a DSP (on the UP5K two 8-bit products to an SB_MAC16), each DSP
    with its registers on (yosys must not have rewritten them)."""
    device_name = FAMILY_DEVICE[family]
    units = {name: dict(settings, rows=3, cols=3) for name, settings in SYSTOLIC.items()}
    units["ternary"] = OTHER_KINDS["ternary"]
    # (products, DSP cells): 9 products of 3x3 INT8xINT4 arrays (on ECP5 a column pair of
    # each row packed into one MULT18X18D); the ternary unit's scale and two halves for
    # each of its two output lanes
    expected = {"os_int8x4": (9, {"ice40": 5, "ecp5": 6}[family]),
                "ws_int8x4": (9, {"ice40": 5, "ecp5": 6}[family]), "ternary": (5, 5)}
    report = synthesize(design(units), device_name)
    for name in units:
        netlist = json.loads((in_tmp / "build" / "post" / "synth" / device_name / name /
                              "netlist.json").read_text())
        cells = [cell for module in netlist["modules"].values()
                 for cell in module["cells"].values()
                 if cell["type"] in ("MULT18X18D", "SB_MAC16")]
        products, dsps = expected[name]
        assert len(cells) == report["units"][name]["dsp"] == dsps, name
        assert f"{products} multipliers in" in report["units"][name]["flow"], name
        for cell in cells:
            parameters = {key: parameter_value(value)
                          for key, value in cell["parameters"].items()}
            wanted = registers_wanted(cell["type"], parameters)
            assert {key: parameters.get(key) for key in wanted} == wanted, (name, parameters)
