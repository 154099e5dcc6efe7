"""FuseSoC runs the core `generate` writes, and the accelgen generator from a user's core
(fusesoc/accelgen.core), as a user's flow would: real fusesoc, Edalize and Verilator."""

import os
import subprocess
import sys
from pathlib import Path

from accelgen.config import single_unit_design
from accelgen.fusesoc import core_name
from accelgen.generation import generate
from accelgen.tools import verilator_environment

from .conftest import ROOT

SMALL = "name: small\nunits:\n  u: {kind: systolic, rows: 2, cols: 2}\n"


def fusesoc(*args, cwd: Path) -> subprocess.CompletedProcess:
    """fusesoc from this Python's environment, with its python3 and Verilator on PATH."""
    env = {**os.environ, **verilator_environment()}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return subprocess.run([str(Path(sys.executable).parent / "fusesoc"), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


def test_generated_core_lints_and_a_broken_file_fails(tmp_path):
    design = single_unit_design("small", "u", "systolic", rows=2, cols=2)
    made, = generate(design, tmp_path / "out", interface="axi-stream")
    core = (tmp_path / "out" / "small.core").read_text()
    assert core.startswith("CAPI=2:\n") and "toplevel: small_u_axis" in core
    for target in ("lint_u", "sim_u", "synth_u_ice40", "synth_u_ecp5", "synth_u_gowin"):
        assert f"  {target}:" in core
    done = fusesoc("--cores-root", "out", "run", "--target", "lint_u", core_name(design),
                   cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    # the lint is real: a wrapper that drives a port twice fails it
    text = made.axi_stream.read_text()
    made.axi_stream.write_text(text.replace("endmodule", "  assign aresetn = 1'b0;\nendmodule",
                                            1))
    done = fusesoc("--cores-root", "out", "run", "--target", "lint_u", core_name(design),
                   cwd=tmp_path)
    assert done.returncode != 0


def test_generator_makes_the_units_a_user_core_asks_for(tmp_path):
    (tmp_path / "design.yaml").write_text(SMALL)
    (tmp_path / "user.core").write_text(
        "CAPI=2:\nname: user:demo:top:0\n"
        "filesets:\n  deps: {depend: [accelgen:accelgen:generator]}\n"
        "generate:\n  units:\n    generator: accelgen\n"
        "    parameters: {config: design.yaml, unit: u, interface: axi-stream}\n"
        "targets:\n  lint:\n    filesets: [deps]\n    generate: [units]\n    toplevel: small_u_axis\n"
        "    default_tool: verilator\n"
        "    tools: {verilator: {mode: lint-only, verilator_options: [-Wno-fatal]}}\n")
    done = fusesoc("--cores-root", ".", "--cores-root", str(ROOT / "fusesoc"), "run",
                   "--target", "lint", "user:demo:top:0", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    made = list(tmp_path.glob("**/generator_cache/*/u_axis.v"))
    assert len(made) == 1 and "module small_u_axis(" in made[0].read_text()
    # one core in the generator's output: the one FuseSoC asked for, by its name
    core, = made[0].parent.glob("*.core")
    assert core.read_text().splitlines()[1] == "name: user:demo:top-units:0"


def test_generator_refuses_bad_parameters_in_one_line(tmp_path):
    (tmp_path / "user.core").write_text(
        "CAPI=2:\nname: user:demo:bad:0\n"
        "filesets:\n  deps: {depend: [accelgen:accelgen:generator]}\n"
        "generate:\n  units:\n    generator: accelgen\n    parameters: {unit: u}\n"
        "targets:\n  default:\n    filesets: [deps]\n    generate: [units]\n"
        "    default_tool: verilator\n    toplevel: small_u\n")
    done = fusesoc("--cores-root", ".", "--cores-root", str(ROOT / "fusesoc"), "run",
                   "--setup", "--target", "default", "user:demo:bad:0", cwd=tmp_path)
    assert done.returncode != 0
    assert "accelgen generator: parameters: need config, may have unit, interface, " \
           "device; got ['unit']" in done.stdout + done.stderr
