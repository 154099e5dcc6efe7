"""Runs a unit's cocotb bench on its generated Verilog (or on a given Verilog file)."""

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from accelgen.config import DesignConfig
from accelgen.errors import AccelgenError
from accelgen.generation import default_build_dir, generate_unit, module_name
from accelgen.progress import say, step
from accelgen.registry import UNIT_KINDS, kind_module
from accelgen.synth.devices import device
from accelgen.tools import check_simulator, verilator_environment

from . import coverage
from .bench import (BENCH_JSON_VARIABLE, CONFIG_VARIABLE, KIND_MODULE_VARIABLE, SEED_VARIABLE,
                    SOAK_VARIABLE)
from .lint import VERILATOR_WAIVERS

# Yosys's Verilog marks every `always @*` block sensitive to this register, whose
# initializer is meant to run them all at time 0. Icarus 11 may apply it before the
# other registers' initializers, so a block whose inputs never change again keeps an X.
_TIME_ZERO = re.compile(r"^(\s*)reg (\\\$auto\$verilog_backend\S+dump_module\$\d+)\s+= 0;",
                        flags=re.MULTILINE)


def icarus_source(source: Path, work: Path) -> Path:
    """A copy of ``source`` in which that register also toggles after every
    initializer (``#0``), so each combinational block is evaluated once with them."""
    text = source.read_text()
    patched = _TIME_ZERO.sub(r"\1reg \2 = 0;\n\1initial #0 \2 = 1;", text)
    if patched == text:
        return source
    copy = work / f"{source.stem}.icarus.v"
    copy.write_text(patched)
    return copy


SHARED_TESTS = "accelgen.sim.shared_tests"


@dataclass(frozen=True)
class SimResult:
    unit: str
    simulator: str
    ran: tuple[str, ...]        # the tests that ran, in order
    failed: tuple[str, ...]
    skipped: tuple[str, ...]
    results_xml: Path
    log: Path
    coverage: dict      # group to bin to hits, over every test that ran (sim/coverage.py)

    @property
    def tests(self) -> int:
        return len(self.ran)

    @property
    def failures(self) -> int:
        return len(self.failed)

    @property
    def passed(self) -> bool:
        return self.tests > 0 and self.failures == 0


AXI_STREAM_TESTS = "accelgen.sim.axi_stream_test"


def bench_modules(kind) -> list[str]:
    """The cocotb test modules of a kind: its own bench's, then the shared tests."""
    return [kind.bench().__module__, SHARED_TESTS]


def declared_tests(kind) -> list[str]:
    """Names of every cocotb test a kind's bench declares (the shared ones included)."""
    import importlib

    from cocotb.regression import Test, TestGenerator
    names = []
    for module in bench_modules(kind):
        for item in vars(importlib.import_module(module)).values():
            if isinstance(item, Test):
                names.append(item.name)
            elif isinstance(item, TestGenerator):
                names += [test.name for test in item.generate_tests()]
    return names


def _results(xml: Path) -> tuple[tuple, tuple, tuple]:
    """(ran, failed, skipped) test names from cocotb's JUnit file."""
    from xml.etree import ElementTree
    ran, failed, skipped = [], [], []
    if xml.is_file():
        for case in ElementTree.parse(xml).getroot().iter("testcase"):
            name = case.get("name")
            if case.find("skipped") is not None:
                skipped.append(name)
                continue
            ran.append(name)
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(name)
    return tuple(ran), tuple(failed), tuple(skipped)


def config_key(config) -> str:
    """A short hash naming the build folder of one unit config."""
    text = json.dumps(config.to_dict(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _top_module(verilog: Path, wanted: str) -> str:
    try:
        text = verilog.read_text()
    except OSError as error:
        raise AccelgenError(f"--verilog: cannot read {verilog} ({error.strerror})") from None
    except UnicodeDecodeError:
        raise AccelgenError(f"--verilog: {verilog} is not Verilog text (not UTF-8)") from None
    names = re.findall(r"^\s*module\s+\\?([^\s(#;]+)", text, flags=re.MULTILINE)
    if wanted not in names:
        raise AccelgenError(f"--verilog: {verilog} has no module {wanted!r} "
                            f"(found: {', '.join(names) or 'none'})")
    return wanted


def simulate(design: DesignConfig, unit: str, *, simulator: str = "verilator",
             seed: int = 1, waves: bool = False, verilog: str | Path | None = None,
             build_dir: str | Path | None = None, testcase: str | None = None,
             bench_json: Path | None = None,
             post_synthesis: str | None = None, soak: int | None = None,
             interface: str = "native") -> SimResult:
    """Build and run the bench of ``unit``; returns how many tests ran and failed.
    ``post_synthesis``: a device name; the bench runs on the netlist Yosys makes for it
    (sim/post_synthesis.py) instead of the generated RTL. ``soak``: run only the soak
    test, with that many jobs. ``interface`` axi-stream: the unit behind its AXI4-Stream
    wrapper, driven by cocotbext-axi (sim/axi_stream_test.py)."""
    from cocotb_tools.runner import get_runner

    check_simulator(simulator)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 1 << 32:
        raise AccelgenError(f"--seed: must be an integer 0..{(1 << 32) - 1}, got {seed!r}")
    config = design.unit(unit)
    kind = UNIT_KINDS[config.kind]
    top = module_name(design, unit)
    root = Path(build_dir) if build_dir else default_build_dir(design) / "sim"
    work = (root / f"{unit}-{config_key(config)}-{simulator}").resolve()
    models, includes = [], []
    if post_synthesis is not None:
        from .post_synthesis import cell_models, synthesized_netlist
        if verilog is not None or interface != "native":
            raise AccelgenError("--post-synthesis: not with --verilog or --interface")
        if simulator != "verilator":
            raise AccelgenError("--post-synthesis: the cell models build with verilator "
                                "only (icarus cannot read yosys's ECP5 models)")
        family = device(post_synthesis).family
        work = work.with_name(f"{work.name}-{post_synthesis}")
        work.mkdir(parents=True, exist_ok=True)
        source = synthesized_netlist(design, unit, post_synthesis, work)
        models, includes = cell_models(family, work)
    elif interface == "axi-stream":
        if verilog is not None or soak is not None or testcase is not None:
            raise AccelgenError("--interface axi-stream: runs the wrapper's own tests; "
                                "not with --verilog, --soak or a test case")
        top = f"{top}_axis"
        work = work.with_name(f"{work.name}-axis")
        source = generate_unit(design, unit, work / "rtl", interface=interface).axi_stream
    elif verilog is None:
        source = generate_unit(design, unit, work / "rtl").verilog
    else:
        source = Path(verilog).resolve()
        if not source.is_file():
            raise AccelgenError(f"--verilog: file not found: {verilog}")
        _top_module(source, top)
        work = work.with_name(work.name + "-given")

    env = {CONFIG_VARIABLE: json.dumps(config.to_dict()), SEED_VARIABLE: str(seed),
           KIND_MODULE_VARIABLE: kind_module(kind)}
    if bench_json is not None:
        env[BENCH_JSON_VARIABLE] = str(Path(bench_json).resolve())
    if soak is not None:
        env[SOAK_VARIABLE], testcase = str(soak), "soak"
    if simulator == "verilator":
        os.environ.update(verilator_environment())
        build_args = ["-Wno-fatal", *VERILATOR_WAIVERS]
        if post_synthesis is not None:
            # a flat netlist of thousands of cells: compiling its C++ unoptimized takes a
            # third of the time, and its regression runs for seconds either way
            build_args += ["-CFLAGS", "-O0"]
        runner_name = "verilator"
    else:
        build_args = []
        runner_name = "icarus"
    runner = get_runner(runner_name)
    # one build, a log and results file per use: `bench` does not overwrite `sim`'s
    run_name = {"measure": "bench", "soak": "soak"}.get(testcase, "sim")
    log = work / f"{run_name}.log"
    work.mkdir(parents=True, exist_ok=True)
    if simulator == "icarus":
        source = icarus_source(source, work)
    try:
        with step(f"building {unit} with {simulator}", log=work / "build.log"):
            runner.build(sources=[source, *models], includes=includes, hdl_toplevel=top,
                         build_dir=work, build_args=build_args, timescale=("1ns", "1ps"),
                         waves=waves,
                         always=True, log_file=work / "build.log")
    except (subprocess.CalledProcessError, RuntimeError, SystemExit):
        if verilog is not None:
            raise AccelgenError(f"--verilog: {verilog} does not build with {simulator}; "
                                f"see {work / 'build.log'}") from None
        raise RuntimeError(f"generated Verilog of {unit} does not build with {simulator}; "
                           f"see {work / 'build.log'}") from None
    xml = work / f"{run_name}-results.xml"
    xml.unlink(missing_ok=True)
    counts = work / f"{run_name}-coverage.json"
    counts.unlink(missing_ok=True)
    env[coverage.COVERAGE_VARIABLE] = str(counts)
    try:
        with step(f"{run_name} of {unit} ({simulator})", log=log):
            modules = [AXI_STREAM_TESTS] if interface == "axi-stream" else bench_modules(kind)
            runner.test(test_module=modules, hdl_toplevel=top, build_dir=work,
                        test_dir=work, seed=seed, extra_env=env, waves=waves,
                        testcase=testcase, results_xml=str(xml), log_file=log)
    except SystemExit:
        pass    # cocotb exits on failures under pytest; the results file tells us more
    if waves:
        for dump in sorted(work.glob("dump.*")):
            say(f"waveform: {dump}")
    return SimResult(unit, simulator, *_results(xml), xml, log, coverage.load(counts))
