"""Synthesis of the KV-cache buffer: the cache lives in block RAM (ECP5 DP16KD, iCE40
EBR) or in the UP5K's SPRAM, never in LUTs or flip-flops."""

import pytest

from accelgen.config import parse_design
from accelgen.synth.flow import cells_by_module

# (device, memory style, the cell the codes must become, its bits)
STORAGE = [("ecp5-85k", "bram", "DP16KD", 18 * 1024),
           ("ice40-up5k", "bram", "SB_RAM40_4K", 4 * 1024),
           ("ice40-up5k", "spram", "SB_SPRAM256KA", 256 * 1024)]


@pytest.mark.slow
@pytest.mark.parametrize("device,memory,cell,cell_bits", STORAGE,
                         ids=[f"{d}-{m}" for d, m, _, _ in STORAGE])
def test_the_cache_is_in_memory_blocks(device, memory, cell, cell_bits, tmp_path):
    settings = {"kind": "kv_buffer", "heads": 2, "head_dim": 32, "max_tokens": 128,
                "lanes": 4, "memory": memory}
    design = parse_design({"name": "t", "units": {"kv": settings}}, "test")
    config = design.units["kv"]
    modules = cells_by_module(design, "kv", device, tmp_path)
    top = modules["t_kv"]
    # no memory left unmapped (it would become flip-flops) and no LUT RAM
    assert not any(name.startswith("$mem") for cells in modules.values() for name in cells)
    assert "TRELLIS_DPR16X4" not in top
    # the codes alone need this many blocks; the scales and p_t take a few more
    assert top.get(cell, 0) >= -(-config.code_bits_stored // cell_bits), top
    if memory == "spram":
        assert top.get("SB_SPRAM256KA", 0) == 1 and top.get("SB_RAM40_4K", 0) >= 1, top
