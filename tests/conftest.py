import os
import shutil
from pathlib import Path

import pytest

from accelgen import load_config
from accelgen.cli import main
from accelgen.config import single_unit_design
from accelgen.registry import UNIT_KINDS
from accelgen.tools import icarus_available

from . import adder_unit  # noqa: F401  (registers the test suite's own kind)

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
# ACCELGEN_FULL_SWEEPS=1: the build-heavy matrices in full (every family of every
# post-synthesis regression, every preset's board build, every block-RAM width); the
# suite otherwise runs a sample of each that keeps CI near 30 minutes on two cores
FULL_SWEEPS = bool(os.environ.get("ACCELGEN_FULL_SWEEPS"))


def sweep(full: list, sample: list) -> list:
    """The whole list with ACCELGEN_FULL_SWEEPS, else the sample."""
    return full if FULL_SWEEPS else sample


# files of multi-minute builds (bitstreams, netlists)
LONGEST = {"test_boards.py", "test_block_ram_model.py", "test_synth.py",
           "test_post_synthesis.py"}


def pytest_collection_modifyitems(items):
    """The longest builds first, then the other slow tests, then the quick ones: with two
    workers the run ends on short tests, not on one worker building alone."""
    items.sort(key=lambda item: (item.get_closest_marker("slow") is None,
                                 item.path.name not in LONGEST))


def kind_cases() -> list[tuple[str, str]]:
    """(kind, case) for every test config every registered kind declares."""
    return [(kind.name, case) for kind in UNIT_KINDS.values() for case in kind.test_configs]


def case_design(kind: str, case: str):
    """The design and unit name of one declared test config (a preset, or settings)."""
    settings = UNIT_KINDS[kind].test_configs[case]
    if isinstance(settings, str):
        design = load_config(CONFIGS / settings)
        return design, next(iter(design.units))
    return single_unit_design("t", "u", kind, source=f"{kind}:{case}", **settings), "u"


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
