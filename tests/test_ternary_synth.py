"""Synthesis of the ternary unit: no multiplier in its matrix datapath (only in the
rescale stage and the MLGRU cell), block RAM for the weights, real yosys + nextpnr."""

import json

import pytest

from accelgen import load_config
from accelgen.synth.devices import DEVICES
from accelgen.synth.flow import cells_by_module

from .conftest import CONFIGS

# the modules that may multiply: BitLinear's scale product and rescale, the MLGRU cell
MULTIPLYING = ("rescale", "cell")


@pytest.mark.slow
@pytest.mark.parametrize("device", ["ice40-up5k", "ecp5-85k"])
def test_matrix_datapath_has_no_multiplier(device, tmp_path):
    design = load_config(CONFIGS / "ternary_mlgru.yaml")
    modules = cells_by_module(design, "mixer", device, tmp_path)
    dsp = DEVICES[device].dsp_cell

    def within(name: str, part: str) -> bool:
        return name == f"ternary_mlgru_mixer.{part}" or \
            name.startswith(f"ternary_mlgru_mixer.{part}.")

    datapath = {name: cells for name, cells in modules.items()
                if name.startswith("ternary_mlgru_mixer")
                and not any(within(name, part) for part in MULTIPLYING)}
    assert "ternary_mlgru_mixer.dot" in datapath and "ternary_mlgru_mixer" in datapath
    for name, cells in datapath.items():
        assert cells.get(dsp, 0) == 0 and cells.get("$mul", 0) == 0, (name, cells)
    # the check can see multipliers: the rescale (in its registered products) and the
    # cell have them, mapped to DSPs or (beyond the DSPs a multiplier may take) still $mul
    for part in MULTIPLYING:
        found = sum(cells.get(dsp, 0) + cells.get("$mul", 0)
                    for name, cells in modules.items() if within(name, part))
        assert found > 0, (part, modules)


@pytest.mark.slow
def test_ternary_preset_synthesizes_with_weights_in_block_ram(cli, in_tmp):
    code, out, _ = cli("synth", CONFIGS / "ternary_8x2.yaml", "--device", "ice40-up5k",
                       "--json", "report.json")
    assert code == 0, out
    unit = json.loads((in_tmp / "report.json").read_text())["units"]["bitlinear"]
    # 2 banks x 512 words x 32 bits = 32 kbit of weights: eight 4-kbit EBRs at least
    assert unit["cells"]["SB_RAM40_4K"] >= 8
    # the scale product and two rescale lanes (two halves each), each an SB_MAC16 with its
    # registers (hw/dsp.py), no Booth multiplier in LUTs
    assert unit["dsp"] == 5 and "Booth" not in unit["flow"]
    assert unit["lut4"] > 200 and unit["fmax_mhz"] > 20
