"""Verilog and manifest generation, and Verilator lint of what comes out."""

import json

import pytest

from accelgen import load_config
from accelgen.generation import generate
from accelgen.registry import UNIT_KINDS
from accelgen.sim.lint import lint

from .conftest import CONFIGS, case_design, kind_cases

CASES = kind_cases()


@pytest.mark.parametrize("kind,case", CASES, ids=[f"{kind}-{case}" for kind, case in CASES])
def test_generated_verilog_is_lint_clean(kind, case, tmp_path):
    """Every kind's every test config: nothing beyond the documented waivers."""
    design, unit = case_design(kind, case)
    made, = generate(design, tmp_path, unit)
    assert lint(made.verilog, made.module) == []


def test_lint_catches_a_real_problem(tmp_path):
    broken = tmp_path / "broken.v"
    broken.write_text("module broken(input a, output b, output c);\n"
                      "  assign b = a;\nendmodule\n")
    assert any("UNDRIVEN" in finding for finding in lint(broken, "broken"))


def test_generate_writes_verilog_and_manifest(cli, in_tmp):
    code, out, _ = cli("generate")
    assert code == 0 and "gemm" in out
    verilog = in_tmp / "build" / "accelgen_default" / "gemm.v"
    manifest = json.loads((in_tmp / "build" / "accelgen_default" / "gemm.json").read_text())
    assert "module accelgen_default_gemm(" in verilog.read_text()
    assert manifest["module"] == "accelgen_default_gemm"
    assert manifest["config"]["rows"] == 4
    ports = {port["name"]: port for port in manifest["ports"]}
    config = load_config().units["gemm"]
    # a = 4 x int8, w = 4 x int4, last
    assert ports["operands__payload"]["width"] == 4 * 8 + 4 * 4 + 1
    assert ports["operands__ready"]["direction"] == "output"
    assert ports["result__payload"]["width"] == 4 * config.accumulator_width + 1
    fields = {f["name"]: f for f in manifest["streams"]["operands"]["fields"]}
    assert fields["w"]["offset"] == 32 and fields["w"]["element_bits"] == 4
    assert fields["last"]["offset"] == 48
    assert manifest["latency_cycles"] == config.latency


def test_generate_to_folder_and_second_preset(cli, tmp_path):
    code, _, _ = cli("generate", CONFIGS / "ws_int8_2x4.yaml", "-o", tmp_path / "out")
    assert code == 0
    manifest = json.loads((tmp_path / "out" / "gemv.json").read_text())
    assert set(manifest["streams"]) == {"weights", "activations", "result"}


def test_generated_files_take_the_mode_the_umask_gives(cli, tmp_path):
    import os
    old = os.umask(0o022)
    try:
        code, _, _ = cli("generate", "-o", tmp_path / "out")
    finally:
        os.umask(old)
    assert code == 0
    for made in ("gemm.v", "gemm.json"):
        assert (tmp_path / "out" / made).stat().st_mode & 0o777 == 0o644


def test_generate_into_a_file_path_is_a_clear_error(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = cli("generate", "-o", blocker / "sub")
    assert code == 2 and "cannot create output folder" in err


def test_generate_for_a_device_writes_its_dsp_primitives(cli, in_tmp):
    code, _, _ = cli("generate", "--unit", "gemm")
    assert code == 0
    generic = json.loads((in_tmp / "build" / "accelgen_default" / "gemm.json").read_text())
    assert generic["datapath"] == {"target": "generic", "dsp_primitives": 0, "dsp_products": 0,
                                   "carry_chain_adders": 0}
    # 16 products of 8 x 4 bits: two to a DSP (a packed MULT18X18D, an SB_MAC16's 8x8 mode)
    for device, cell, cells in (("ecp5-85k", "MULT18X18D", 8), ("ice40-up5k", "SB_MAC16", 8)):
        code, _, _ = cli("generate", "--unit", "gemm", "--device", device, "-o", device)
        assert code == 0
        manifest = json.loads((in_tmp / device / "gemm.json").read_text())
        assert manifest["datapath"]["dsp_primitives"] == cells
        assert manifest["datapath"]["dsp_products"] == 16
        assert (in_tmp / device / "gemm.v").read_text().count(f"{cell} #(") == cells
    # the ternary unit's 4 x 2 lanes: each row's lanes in two pairs, each pair's second
    # select folded into an ECP5 carry chain (none on iCE40: SB_CARRY cannot take it)
    for device, adders in (("ecp5-85k", 4), ("ice40-up5k", 0)):
        code, _, _ = cli("generate", "--unit", "bitlinear", "--device", device, "-o", device)
        manifest = json.loads((in_tmp / device / "bitlinear.json").read_text())
        assert code == 0 and manifest["datapath"]["carry_chain_adders"] == adders
        assert (in_tmp / device / "bitlinear.v").read_text().count("CCU2C #(") == adders * 5
    code, _, err = cli("generate", "--device", "xc7", "-o", "nothing")
    assert code == 2 and "unknown device 'xc7'" in err and not (in_tmp / "nothing").exists()


@pytest.mark.parametrize("kind", list(UNIT_KINDS))
def test_manifest_follows_the_shipped_schema_and_amaranth_metadata(kind, tmp_path):
    """Every kind's manifest passes accelgen/manifest.schema.json, Amaranth's component
    schema and the accelgen annotation's (generate checks each manifest it writes; this
    says so once more from the file); its ports are the metadata's."""
    from accelgen.metadata import UnitAnnotation, manifest_errors, ports_of
    design, unit = case_design(kind, "minimum")
    made, = generate(design, tmp_path, unit, interface="axi-stream")
    manifest = json.loads(made.manifest.read_text())
    assert manifest_errors(manifest) == []
    annotation = manifest["metadata"]["interface"]["annotations"][UnitAnnotation.schema["$id"]]
    assert annotation["config_hash"] == manifest["config_hash"] and \
        annotation["kind"] == kind and annotation["element_order"] == "lsb_first"
    assert [port["name"] for _, port in ports_of(manifest["metadata"])] == \
        [port["name"] for port in manifest["ports"][2:]]
    for name, stream in manifest["streams"].items():
        assert annotation["layouts"][f"{name}__payload"]["fields"] == stream["fields"]


def test_a_broken_manifest_is_named_by_the_schema(tmp_path):
    from accelgen.metadata import UnitAnnotation, manifest_errors
    design = load_config()
    made, = generate(design, tmp_path, "kv")
    manifest = json.loads(made.manifest.read_text())
    del manifest["latency_cycles"]
    manifest["streams"]["result"]["payload_bits"] = "66"
    annotations = manifest["metadata"]["interface"]["annotations"]
    annotations[UnitAnnotation.schema["$id"]]["element_order"] = "msb_first"
    errors = repr(manifest_errors(manifest))
    assert "latency_cycles" in errors and "/streams/result/payload_bits" in errors
    assert "element_order" in errors
