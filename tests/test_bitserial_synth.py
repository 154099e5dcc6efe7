"""Synthesis of the bit-serial unit: no multiplier anywhere (weights bit by bit, scales
by shift-and-add), the activation vectors in block RAM, real yosys + nextpnr."""


import pytest

from accelgen import load_config
from accelgen.synth.devices import DEVICES
from accelgen.synth.flow import cells_by_module

from .conftest import CONFIGS

BLOCK_RAM = {"ice40-up5k": "SB_RAM40_4K", "ecp5-85k": "DP16KD"}


@pytest.mark.slow
@pytest.mark.parametrize("device", ["ice40-up5k", "ecp5-85k"])
def test_no_multiplier_and_vectors_in_block_ram(device, tmp_path):
    design = load_config(CONFIGS / "bitserial.yaml")
    modules = cells_by_module(design, "bitmod", device, tmp_path)
    dsp = DEVICES[device].dsp_cell
    unit = {name: cells for name, cells in modules.items() if name.startswith("bitserial_bitmod")}
    assert {"bitserial_bitmod.dots", "bitserial_bitmod.scaler"} <= set(unit)
    for name, cells in unit.items():
        assert cells.get(dsp, 0) == 0 and cells.get("$mul", 0) == 0, (name, cells)
    assert unit["bitserial_bitmod.vectors"].get(BLOCK_RAM[device], 0) >= 1
