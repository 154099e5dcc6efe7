"""Functional coverage: the bins a bench declares, counted as its tests drive the unit.

A bin is a named situation the regression is meant to reach: a reduction length of 1,
a port held back for 8 cycles, a reset while results are leaving, a datatype used.
Each bench declares its bins when it starts (the shared ones in sim/bench.py, the kind's
in its ``coverage_bins``) and counts them from what it actually sends and sees, never
from what it meant to send. Counts add up over every test of a simulator run, and are
written to the file the runner names, where ``accelgen sim --coverage`` and the tests
read them. A bin never hit is a situation no test made: a gap in the regression.
"""

import json
import os
from pathlib import Path

COVERAGE_VARIABLE = "ACCELGEN_COVERAGE"


def length_bin(length: int, longest: int) -> str:
    """The bins of a length 1..longest: its two ends and everything between."""
    if length == 1:
        return "1"
    return "longest" if length >= longest else "between"


def length_bins(longest: int) -> list[str]:
    return ["1"] if longest == 1 else ["1", "between", "longest"] if longest > 2 else \
        ["1", "longest"]


def held_bin(cycles: int) -> str:
    """The bins of a run of cycles a port was held back: short, medium, long."""
    return "1 cycle" if cycles == 1 else "2-7 cycles" if cycles < 8 else "8+ cycles"


HELD_BINS = ["1 cycle", "2-7 cycles", "8+ cycles"]


class Coverage:
    """Hit counts of declared bins, group by group, for one simulator run."""

    def __init__(self):
        self.counts: dict[str, dict[str, int]] = {}

    def declare(self, bins: dict[str, list[str]]):
        for group, names in bins.items():
            counts = self.counts.setdefault(group, {})
            for name in names:
                counts.setdefault(name, 0)

    def hit(self, group: str, name: str, times: int = 1):
        counts = self.counts.get(group)
        if counts is None or name not in counts:
            raise KeyError(f"coverage bin {group}: {name} was never declared")
        counts[name] += times

    def save(self):
        """Write the counts where the runner asked (nowhere, if it did not)."""
        path = os.environ.get(COVERAGE_VARIABLE)
        if path:
            Path(path).write_text(json.dumps(self.counts, indent=1, sort_keys=True))


#: the counts of this simulator run: every bench of every test adds to them
RUN = Coverage()


def load(path: Path) -> dict[str, dict[str, int]]:
    """The counts a run wrote (none, if it wrote nothing)."""
    return json.loads(path.read_text()) if path.is_file() else {}


def missed(counts: dict) -> list[str]:
    """``group: bin`` of every bin never hit."""
    return [f"{group}: {name}" for group, bins in counts.items()
            for name, count in bins.items() if not count]


def summary(counts: dict) -> str:
    total = sum(len(bins) for bins in counts.values())
    hit = total - len(missed(counts))
    percent = 100 * hit / total if total else 0.0
    return f"{hit}/{total} bins ({percent:.1f}%)"


def report(unit: str, counts: dict) -> str:
    """The report `accelgen sim --coverage` writes: every group, every bin, its count."""
    lines = [f"# Functional coverage of {unit}: {summary(counts)}", ""]
    for group in sorted(counts):
        bins = counts[group]
        done = sum(1 for count in bins.values() if count)
        lines.append(f"## {group} ({done}/{len(bins)})")
        lines += [f"- {name}: {count}" + ("" if count else "  <- never hit")
                  for name, count in bins.items()]
        lines.append("")
    return "\n".join(lines)
