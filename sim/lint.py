"""Verilator lint of generated Verilog, with only the warnings Amaranth's style causes
waived."""

import re
import subprocess
from pathlib import Path

from accelgen.tools import verilator_binary, verilator_environment

# Amaranth widens and narrows operands freely, initializes registers where it declares
# them, leaves intermediate wires that only feed other wires, and writes FSMs and
# switches as `case` statements without a default (each signal gets its default
# value before the case, so no latch comes of it); nothing else is waived.
VERILATOR_WAIVERS = ["-Wno-WIDTHEXPAND", "-Wno-WIDTHTRUNC", "-Wno-UNUSEDSIGNAL",
                     "-Wno-DECLFILENAME", "-Wno-PROCASSINIT", "-Wno-CASEINCOMPLETE"]


def lint(verilog: Path, top: str) -> list[str]:
    """Warnings and errors Verilator -Wall reports beyond the waived ones."""
    import os
    env = {**os.environ, **verilator_environment()}
    done = subprocess.run([verilator_binary(), "--lint-only", "-Wall", *VERILATOR_WAIVERS,
                           "--top-module", top, str(verilog)], capture_output=True, text=True,
                          env=env)
    findings = [line for line in done.stderr.splitlines()
                if re.match(r"%(Warning|Error)", line)]
    if done.returncode != 0 and not findings:
        findings = [done.stderr.strip() or f"verilator exited {done.returncode}"]
    return findings
