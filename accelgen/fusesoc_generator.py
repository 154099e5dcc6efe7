"""The generator a user's FuseSoC core calls (``generate: [...]`` with ``generator:
accelgen``; fusesoc/accelgen.core registers it) to get the Verilog at build time."""

import sys
from pathlib import Path

import yaml

from .fusesoc import write_core


def generator_main(argv: list[str]) -> int:
    """FuseSoC's generator interface (GAPI 1.0): read the input YAML FuseSoC wrote, make
    the units in the current folder, and write the core FuseSoC reads back (in place of
    the design's own: one core, under the name FuseSoC asked for). Parameters:
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
        write_core(design, made, Path.cwd(), request["vlnv"])
    except AccelgenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
