"""The AXI4-Stream wrapper (hw/axi_stream.py): its ports, its manifest section, and
every kind's jobs through it, driven by cocotbext-axi with pauses on every port."""

import json
import re

import pytest

from accelgen.generation import generate
from accelgen.hw.axi_stream import AxiPort
from accelgen.registry import UNIT_KINDS
from accelgen.sim.lint import lint
from accelgen.sim.runner import simulate

from .conftest import case_design

# every kind's smallest config, and the weight-stationary array (its own job protocol)
CASES = [(kind, "minimum") for kind in UNIT_KINDS] + [("systolic", "ws-3x5-int8xint4")]


@pytest.mark.parametrize("kind,case", CASES, ids=[f"{kind}-{case}" for kind, case in CASES])
def test_every_kind_passes_cocotbext_axi_jobs_through_its_wrapper(kind, case, tmp_path):
    design, unit = case_design(kind, case)
    result = simulate(design, unit, build_dir=tmp_path, interface="axi-stream")
    assert result.passed and result.tests == 2, result.log.read_text()[-3000:]


def test_wrapper_has_amd_port_names_and_lints_clean(tmp_path):
    design, unit = case_design("kv_buffer", "minimum")
    made, = generate(design, tmp_path, unit, interface="axi-stream")
    text = made.axi_stream.read_text()
    header = " ".join(re.search(rf"module {made.module}_axis\((.*?)\);", text, re.S)
                      .group(1).split())
    ports = set(header.split(", "))
    for prefix in ("s_axis_command", "s_axis_append", "s_axis_query", "m_axis_result"):
        assert {f"{prefix}_{signal}" for signal in ("tdata", "tvalid", "tready",
                                                    "tlast")} <= ports
    assert {"aclk", "aresetn", "status"} <= ports and "clk" not in ports
    assert lint(made.axi_stream, f"{made.module}_axis") == []
    described = json.loads(made.manifest.read_text())["axi_stream"]
    assert described["module"] == f"{made.module}_axis"
    assert described["other_ports"] == ["status"]
    for port in described["ports"]:
        assert port["tdata_bits"] % 8 == 0
        fields = port["tdata_fields"]
        assert "last" not in [field["name"] for field in fields]
        ends = [field["offset"] + field["element_bits"] * field["elements"]
                for field in fields]
        assert ends[-1] <= port["tdata_bits"] < ends[-1] + 8


def test_design_option_and_cli_choose_the_interface(cli, write_config, in_tmp):
    config = write_config("name: wrapped\ninterface: axi-stream\nunits:\n"
                          "  u: {kind: systolic, rows: 2, cols: 2}\n")
    code, out, _ = cli("generate", str(config), "-o", "out")
    assert code == 0 and "out/u_axis.v (module wrapped_u_axis)" in out
    code, out, _ = cli("generate", str(config), "-o", "plain", "--interface", "native")
    assert code == 0 and "_axis" not in out and not (in_tmp / "plain" / "u_axis.v").exists()
    code, _, err = cli("generate", str(config), "--interface", "axi")
    assert code == 2 and "invalid choice: 'axi'" in err
    bad = write_config("name: w\ninterface: axis\nunits:\n  u: {kind: systolic}\n", "bad.yaml")
    code, _, err = cli("check", str(bad))
    assert code == 2 and "interface: must be one of native, axi-stream, got 'axis'" in err


@pytest.mark.parametrize("last_offset", [None, 0, 3, 9])
def test_tdata_and_tlast_round_trip_a_payload(last_offset):
    port = AxiPort("p", "s_axis_p", False, 10, last_offset)
    for payload in (0, 1, 0x155, 0x2AA, 0x3FF, 0x200):
        tdata, tlast = port.to_tdata(payload)
        assert tdata < 1 << port.data_bits and port.tdata_bits == 16
        assert port.to_payload(tdata | 0xFF00 & ~((1 << port.data_bits) - 1), tlast) == \
            payload


def test_axi_stream_sim_refuses_what_it_cannot_run(cli):
    code, _, err = cli("sim", "--unit", "gemm", "--interface", "axi-stream", "--soak", "5")
    assert code == 2 and "--interface axi-stream: runs the wrapper's own tests; not with " \
        "--verilog, --soak or a test case" in err
    code, _, err = cli("sim", "--unit", "gemm", "--interface", "axi-stream",
                       "--post-synthesis", "ecp5-85k")
    assert code == 2 and "--post-synthesis: not with --verilog or --interface" in err
