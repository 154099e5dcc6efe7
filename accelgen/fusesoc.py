"""FuseSoC: the CAPI2 core written beside each generated design (the generator a user's
core calls is accelgen/fusesoc_generator.py; docs/integration.md)."""

from pathlib import Path

import yaml

from .config import DesignConfig
from .files import write_atomically

#: the families a core's synthesis targets are for (Edalize's yosys tool: synth_<arch>)
SYNTH_FAMILIES = ("ice40", "ecp5", "gowin")


def core_name(design: DesignConfig) -> str:
    """The design's VLNV: the accelgen version, so that a core changes with the tool."""
    from . import __version__
    return f"accelgen:generated:{design.name}:{__version__}"


def core_document(design: DesignConfig, made: list, name: str | None = None) -> dict:
    """The CAPI2 description of generated units (``made``: generation.Generated):
    a fileset per unit, and per unit the targets ``lint_<unit>`` (Verilator lint),
    ``sim_<unit>`` (its Verilator C++ model, for a test bench of the user's) and
    ``synth_<unit>_<family>`` (Yosys through Edalize); toplevel the AXI4-Stream wrapper
    where one was generated."""
    from .sim.lint import VERILATOR_WAIVERS
    filesets, targets = {}, {"default": {"filesets": [made_unit.unit for made_unit in made]}}
    for unit in made:
        files = [unit.verilog.name] + ([unit.axi_stream.name] if unit.axi_stream else [])
        filesets[unit.unit] = {"files": files, "file_type": "verilogSource"}
        top = f"{unit.module}_axis" if unit.axi_stream else unit.module
        # lint: every warning but our lint's waivers (sim/lint.py) fails; the C++ model
        # builds whatever Verilator warns of
        for target, mode, options in (("lint", "lint-only", VERILATOR_WAIVERS),
                                      ("sim", "cc", ["-Wno-fatal", *VERILATOR_WAIVERS])):
            targets[f"{target}_{unit.unit}"] = {
                "filesets": [unit.unit], "toplevel": top, "default_tool": "verilator",
                "tools": {"verilator": {"mode": mode, "verilator_options": list(options)}}}
        for family in SYNTH_FAMILIES:
            targets[f"synth_{unit.unit}_{family}"] = {
                "filesets": [unit.unit], "toplevel": top, "default_tool": "yosys",
                "tools": {"yosys": {"arch": family, "output_format": "json"}}}
    return {"name": name or core_name(design),
            "description": f"accelgen design {design.name}: "
                           + ", ".join(f"{unit.unit} ({design.units[unit.unit].kind})"
                                       for unit in made),
            "filesets": filesets, "targets": targets}


def core_text(document: dict) -> str:
    return "CAPI=2:\n" + yaml.safe_dump(document, sort_keys=False)


def core_path(design: DesignConfig, out_dir) -> Path:
    return Path(out_dir) / f"{design.name}.core"


def write_core(design: DesignConfig, made: list, out_dir, name: str | None = None) -> Path:
    """The design's core beside its units (``name``: its VLNV, else :func:`core_name`)."""
    return write_atomically(core_path(design, out_dir),
                            core_text(core_document(design, made, name)))
