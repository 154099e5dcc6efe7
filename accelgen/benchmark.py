"""`accelgen bench`: throughput measured in RTL simulation, not computed."""

import json
import tempfile
from pathlib import Path

from .config import DesignConfig
from .errors import CheckFailed
from .files import writable_file, write_atomically


def bench(design: DesignConfig, unit: str | None = None, simulator: str = "verilator",
          json_path: str | Path | None = None) -> dict:
    """Run each unit's `measure` test; returns ``{"units": {U: {cycles, macs,
    peak_macs_per_cycle, utilization, ...}}}`` (the other keys depend on the kind)."""
    from .sim.runner import simulate

    if json_path is not None:
        writable_file(json_path, "--json")
    report = {"design": design.name, "simulator": simulator, "units": {}}
    for name in design.selected(unit):
        with tempfile.TemporaryDirectory() as scratch:
            measured = Path(scratch) / "measure.json"
            result = simulate(design, name, simulator=simulator, testcase="measure",
                              bench_json=measured)
            if not result.passed or not measured.is_file():
                raise CheckFailed(f"bench: the measurement of {name} failed; see "
                                  f"{result.log}")
            report["units"][name] = json.loads(measured.read_text())
    if json_path is not None:
        write_atomically(json_path, json.dumps(report, indent=2) + "\n")
    return report


def format_bench(report: dict) -> str:
    """One line per unit: utilization first, then every other figure it measured."""
    lines = [f"{report['design']} ({report['simulator']} RTL simulation)"]
    for name, unit in report["units"].items():
        figures = ", ".join(f"{key} {_figure(key, value)}"
                            for key, value in unit.items() if key != "utilization")
        lines.append(f"{name}: utilization {unit['utilization']:.1%} ({figures})")
    return "\n".join(lines)


def _figure(key: str, value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{name} {_figure(key, item)}"
                               for name, item in value.items()) + "}"
    if "utilization" in key:
        return f"{value:.1%}"
    return f"{value:g}" if isinstance(value, float) else str(value)
