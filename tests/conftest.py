import shutil
from pathlib import Path

import pytest

from accelgen.cli import main
from accelgen.tools import icarus_available

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"


def simulators() -> list:
    """Verilator always; Icarus where it is installed, and in CI, where it must be."""
    import os
    if icarus_available():
        return ["verilator", "icarus"]
    if os.environ.get("CI"):
        raise RuntimeError("CI must have Icarus Verilog: apt-get install iverilog")
    return ["verilator"]


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    def run(*args):
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return run


@pytest.fixture
def write_config(tmp_path):
    def write(text: str, name: str = "design.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path
    return write


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in a scratch folder, so build/ outputs do not land in the checkout."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def have(tool: str) -> bool:
    return shutil.which(tool) is not None
