"""Every example end to end on its served simulation, at CI size (the full workloads:
`python bench/link_benchmarks.py`, figures in BENCHMARKS.md)."""

import importlib.util

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
