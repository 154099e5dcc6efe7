"""Every example end to end on its served simulation, at CI size (the full workloads:
`python bench/link_benchmarks.py`, figures in BENCHMARKS.md)."""

import importlib.util
import os

import pytest

from .conftest import ROOT


def example(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_digits_mlp_logits_are_identical():
    result = example("digits_mlp").run(digits=48)
    assert result["identical"] and result["digits"] == 48
    assert result["accuracy"] == result["golden_accuracy"] > 0.8


@pytest.mark.slow
def test_digits_mlp_runs_in_ovp4():
    """OliVe OVP-4 weights (examples/digits_ovp.yaml): the driver encodes the
    quantizer's integers, and every logit equals numpy's."""
    result = example("digits_mlp").run(digits=24, weights="ovp")
    assert result["identical"] and result["digits"] == 24
    assert result["accuracy"] == result["golden_accuracy"] > 0.8


@pytest.mark.slow
def test_matmulfree_block_is_identical_over_32_tokens():
    result = example("matmulfree_block").run(tokens=32)
    assert result["identical"] and result["relative_error"] < 0.1


@pytest.mark.slow
def test_decode_attention_evicts_and_stays_identical():
    result = example("decode_attention").run(steps=56)
    assert result["identical"] and result["overflow"] and result["held"] == 48
    assert result["error_held"] < 0.15


@pytest.mark.slow
def test_bitmod_layer_is_identical():
    result = example("bitmod_layer").run(rows=12, vectors=3)
    assert result["identical"] and result["relative_error"] < 0.3


def test_example_arguments_are_checked(capsys):
    with pytest.raises(SystemExit) as exit_info:
        example("digits_mlp").main(["--digits", "many"])
    assert exit_info.value.code == 2 and "invalid int value" in capsys.readouterr().err


@pytest.mark.parametrize("unit", ["gemm", "kv"])
def test_litex_soc_elaborates_and_lints(unit, tmp_path):
    """The LiteX example (a unit's AXI4-Stream wrapper behind CSRs, reached over
    UARTBone) elaborates to Verilog that Verilator lints with every wrapper pin
    connected, and its CSR map lists each port's registers."""
    import subprocess

    from accelgen.tools import verilator_environment
    verilog = example("litex/accel_soc").build(None, unit, tmp_path)
    wrapper = tmp_path / "accelgen" / f"{unit}_axis.v"
    env = verilator_environment()
    done = subprocess.run([f"{env['VERILATOR_ROOT']}/bin/verilator", "--lint-only",
                           "-Wno-fatal", "--top-module", "accel_soc", str(verilog),
                           str(wrapper)], capture_output=True, text=True,
                          env={**os.environ, **env})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "PINMISSING" not in done.stderr and "PINNOTFOUND" not in done.stderr
    registers = {line.split(",")[1] for line in (tmp_path / "csr.csv").read_text().splitlines()
                 if line.startswith("csr_register")}
    ports = {"gemm": (["operands"], ["result"]),
             "kv": (["command", "append", "query"], ["result"])}[unit]
    for port in ports[0]:
        assert {f"accelerator_{port}_{name}" for name in ("data", "last", "push", "busy")} \
            <= registers
    for port in ports[1]:
        assert {f"accelerator_{port}_{name}" for name in ("data", "flags", "pop")} <= registers
    assert ("accelerator_status" in registers) == (unit == "kv")
