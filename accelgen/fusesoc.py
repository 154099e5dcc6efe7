"""FuseSoC: a CAPI2 core for each generated design, and the generator a user's core
calls (``generate: [...]`` with ``generator: accelgen``) to get the Verilog at build
time (fusesoc/accelgen.core registers it; docs/integration.md)."""

import sys
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


def write_core(design: DesignConfig, made: list, out_dir: Path) -> Path:
    return write_atomically(Path(out_dir) / f"{design.name}.core",
                            core_text(core_document(design, made)))


def generator_main(argv: list[str]) -> int:
    """FuseSoC's generator interface (GAPI 1.0): read the input YAML FuseSoC wrote, make
    the units in the current folder, and write the core FuseSoC reads back. Parameters:
    ``config`` (a YAML path relative to the calling core, or a preset name), and
    optionally ``unit``, ``interface`` (native | axi-stream) and ``device``."""
    from .config import load_config
    from .errors import AccelgenError
    from .generation import generate
    try:
        if len(argv) != 1:
            raise AccelgenError("usage: accelgen_generator.py INPUT.yml (FuseSoC calls it)")
        request = yaml.safe_load(Path(argv[0]).read_text())
        parameters = request.get("parameters") or {}
        unknown = sorted(set(parameters) - {"config", "unit", "interface", "device"})
        if unknown or "config" not in parameters:
            raise AccelgenError(f"accelgen generator: parameters: need config, may have "
                                f"unit, interface, device; got {sorted(parameters)}")
        config = parameters["config"]
        path = Path(request["files_root"]) / config
        design = load_config(str(path) if path.suffix in (".yaml", ".yml") else config)
        made = generate(design, Path.cwd(), parameters.get("unit"),
                        parameters.get("device"), parameters.get("interface"))
        name = request["vlnv"]
        document = core_document(design, made, name)
        write_atomically(Path.cwd() / f"{name.split(':')[2]}.core", core_text(document))
    except AccelgenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
