"""`accelgen bench`: throughput measured in RTL simulation, not computed."""

import json
import tempfile
from pathlib import Path

from .config import DesignConfig
from .errors import AccelgenError
from .files import write_atomically


def bench(design: DesignConfig, unit: str | None = None, simulator: str = "verilator",
          json_path: str | Path | None = None) -> dict:
    """Run each unit's `measure` test; returns ``{"units": {U: {cycles, macs,
    peak_macs_per_cycle, utilization, ...}}}``."""
    from .sim.runner import simulate

    report = {"design": design.name, "simulator": simulator, "units": {}}
    for name in design.selected(unit):
        with tempfile.TemporaryDirectory() as scratch:
            measured = Path(scratch) / "measure.json"
            result = simulate(design, name, simulator=simulator, testcase="measure",
                              bench_json=measured)
            if not result.passed or not measured.is_file():
                raise AccelgenError(f"bench: the measurement of {name} failed; see "
                                    f"{result.log}")
            report["units"][name] = json.loads(measured.read_text())
    if json_path is not None:
        write_atomically(json_path, json.dumps(report, indent=2) + "\n")
    return report


def format_bench(report: dict) -> str:
    lines = [f"{report['design']} ({report['simulator']} RTL simulation)",
             f"{'unit':<16}{'jobs':>6}{'K':>6}{'cycles':>9}{'MACs':>10}{'peak/cyc':>10}"
             f"{'util':>8}{'util+drain':>12}"]
    for name, unit in report["units"].items():
        lines.append(f"{name:<16}{unit['jobs']:>6}{unit['depth']:>6}{unit['cycles']:>9}"
                     f"{unit['macs']:>10}{unit['peak_macs_per_cycle']:>10}"
                     f"{unit['utilization']:>8.1%}{unit['utilization_with_drain']:>12.1%}")
    return "\n".join(lines)
