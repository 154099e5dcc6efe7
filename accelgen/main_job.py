"""`accelgen run`: the main job on a design (generate, simulate, bench, synthesize every
unit) and one summary table at the end."""

from .config import DesignConfig
from .files import write_atomically
from .generation import default_build_dir, generate


def main_job(design: DesignConfig, device_name: str) -> tuple[list[dict], bool]:
    """Per unit: its files, tests, measured utilization and synthesis figures; and
    whether every test passed."""
    import json

    from .benchmark import bench
    from .fit import require_fit
    from .sim.runner import simulate
    from .synth.flow import synthesize

    for name, config in design.units.items():     # each unit is synthesized alone
        require_fit([config], device_name, force=False, what=f"unit {name}")
    generate(design)
    rows, passed = [], True
    for name, config in design.units.items():
        result = simulate(design, name)
        passed &= result.passed
        rows.append({"unit": name, "kind": config.kind,
                     "tests": f"{result.tests - result.failures}/{result.tests} "
                              f"{'PASS' if result.passed else 'FAIL'}",
                     "log": str(result.log)})
    measured = bench(design)["units"]
    report = synthesize(design, device_name)
    folder = default_build_dir(design)
    write_atomically(folder / f"synth-{device_name}.json", json.dumps(report, indent=2) + "\n")
    for row in rows:
        row["utilization"] = measured[row["unit"]]["utilization"]
        row.update({key: report["units"][row["unit"]][key]
                    for key in ("lut4", "ff", "dsp", "bram", "fmax_mhz")})
    return rows, passed


def format_summary(design: DesignConfig, device_name: str, rows: list[dict]) -> str:
    header = ("unit", "kind", "tests", "utilization", "LUT4", "FF", "DSP", "BRAM",
              f"Fmax MHz ({device_name})")
    table = [header] + [(row["unit"], row["kind"], row["tests"], f"{row['utilization']:.1%}",
                         str(row["lut4"]), str(row["ff"]), str(row["dsp"]), str(row["bram"]),
                         f"{row['fmax_mhz']:.1f}") for row in rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
             for line in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join([f"{design.name}: Verilog and manifests in {default_build_dir(design)}/",
                      *lines])
