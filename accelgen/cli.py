"""The `accelgen` command line."""

import argparse
import os
import sys
from pathlib import Path

from .errors import AccelgenError, CheckFailed

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line and exit code 2 like every user error."""

    def error(self, message):
        raise AccelgenError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    from . import __version__
    from .config import INTERFACES
    from .synth.devices import DEVICES

    parser = _Parser(prog="accelgen", description="Generate, verify, synthesize and build "
                                                 "low-bit inference accelerator blocks.",
                     epilog="CONFIG is a design YAML file or a preset's name (accelgen "
                            "list); without it, the embedded default. Exit codes: 0 ok, "
                            "1 a test failed, 2 a user error, 3 a bug.")
    parser.add_argument("--version", action="version", version=f"accelgen {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    def command(name, help_text, example, config=True):
        sub = commands.add_parser(name, help=help_text, description=help_text,
                                  epilog=f"example: {example}")
        if config:
            sub.add_argument("config", nargs="?", help="design YAML or preset name "
                                                       "(default: the embedded default)")
        loudness = sub.add_mutually_exclusive_group()
        loudness.add_argument("-q", "--quiet", action="store_true",
                              help="only results and errors")
        loudness.add_argument("-v", "--verbose", action="store_true",
                              help="also the tools' logs as they are written")
        return sub

    command("check", "validate a config and print it with all defaults resolved",
            "accelgen check kv_cache")
    command("list", "presets, unit kinds with their keys and defaults, devices, boards",
            "accelgen list", config=False)
    main_job = command("run", "the main job: generate, simulate, bench and synthesize every "
                              "unit, then one summary table", "accelgen run ternary_8x2")
    main_job.add_argument("--device", default="ice40-up5k",
                          help="synthesis device (default ice40-up5k)")
    generate = command("generate", "write <unit>.v and <unit>.json for every unit",
                       "accelgen generate ternary_8x2 -o out/")
    generate.add_argument("-o", "--output", help="output folder (default build/<design>)")
    generate.add_argument("--unit", help="only this unit")
    generate.add_argument("--device", help="the datapath for this device (its DSP "
                                           "primitives, registered); default: generic RTL")
    generate.add_argument("--interface", choices=INTERFACES,
                          help="axi-stream: also <unit>_axis.v, the unit behind AXI4-Stream "
                               "ports (default: the config's interface, else native)")
    sim = command("sim", "run the cocotb regression of every unit (or one)",
                  "accelgen sim --unit gemm --simulator icarus --seed 7")
    sim.add_argument("--unit")
    sim.add_argument("--simulator", default="verilator", help="verilator (default) | icarus")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--waves", action="store_true", help="write a waveform (dump.vcd / .fst)")
    sim.add_argument("--verilog", help="test this Verilog file instead of generating it "
                                       "(needs --unit when the design has several units)")
    sim.add_argument("--soak", type=int, metavar="JOBS",
                     help="only the soak test: JOBS random jobs under random stalls and "
                          "resets, reproducible by --seed")
    sim.add_argument("--interface", choices=INTERFACES, default="native",
                     help="axi-stream: test the unit behind its AXI4-Stream wrapper with "
                          "cocotbext-axi sources and sinks")
    sim.add_argument("--coverage", metavar="FILE",
                     help="write the functional coverage report (every bin, its hits) here")
    sim.add_argument("--post-synthesis", metavar="DEVICE",
                     help="test the netlist yosys makes for this device (with its cells' "
                          "simulation models) instead of the RTL")
    synth = command("synth", "synthesize with yosys + nextpnr and report resources, Fmax",
                    "accelgen synth ws_int8_2x4 --device ice40-up5k --json up5k.json")
    synth.add_argument("--unit")
    synth.add_argument("--device", required=True,
                       help=" | ".join(DEVICES))
    synth.add_argument("--json", help="also write the report as JSON here")
    synth.add_argument("--flow", default="abc9", help="abc9 (default; falls back to abc "
                                                      "if it crashes) | abc")
    synth.add_argument("--seeds", type=int, default=1,
                       help="place and route with nextpnr seeds 1..N (default 1) and report "
                            "the Fmax spread")
    synth.add_argument("--force", action="store_true",
                       help="run even if the fit estimate says it cannot fit")
    build = command("build", "build the host-linked system (or the self-test) bitstream "
                             "for a board", "accelgen build --board icebreaker --program")
    build.add_argument("--board", required=True, help="icebreaker | ulx3s-85f | orangecrab-85f")
    build.add_argument("--selftest", action="store_true",
                       help="the self-test instead: LEDs say whether every unit passed")
    build.add_argument("--unit", help="only this unit (a design too large for the board "
                                      "as a whole)")
    build.add_argument("--force", action="store_true",
                       help="build even if the fit estimate says it cannot fit")
    build.add_argument("--program", action="store_true", help="program the board after "
                                                              "the build")
    serve = command("serve", "run the host-linked system in Verilator behind a TCP socket "
                             "(the driver's URL: socket://127.0.0.1:PORT)",
                    "accelgen serve examples/decoder.yaml --port 4000")
    serve.add_argument("--port", type=int, default=0, help="TCP port (default: any free one)")
    serve.add_argument("--unit", help="only this unit (as `build --unit` makes the board's)")
    prove = command("prove", "formal proofs (SymbiYosys) of every unit's stream contract: "
                             "valid and payload held until ready, nothing sent after reset, "
                             "no job's end lost or invented, bounded progress",
                    "accelgen prove ternary_8x2 --unit bitlinear")
    prove.add_argument("--unit")
    prove.add_argument("--depth", type=int, help="cycles checked from reset, 4..200 "
                                                 "(default: the unit's progress bound + 6)")
    mutate = command("mutate", "mutation testing: single-bit faults sampled across a unit's "
                               "netlist, each run through its regression; the score is the "
                               "share caught", "accelgen mutate ws_int8_2x4 --count 40 --jobs 2")
    mutate.add_argument("--unit")
    mutate.add_argument("--count", type=int, default=20, help="mutants per unit, 1..1000 "
                                                              "(default 20)")
    mutate.add_argument("--seed", type=int, default=1, help="of the sample and the "
                                                           "regression (default 1)")
    mutate.add_argument("--jobs", type=int, default=1, help="regressions at a time, 1..64")
    mutate.add_argument("--budget", type=int, default=600,
                        help="seconds per mutant's regression, 10..86400 (default 600)")
    mutate.add_argument("--simulator", default="verilator")
    mutate.add_argument("--min-score", type=float, metavar="PERCENT",
                        help="exit 1 if a unit scores below this")
    bench = command("bench", "measure cycles and MAC utilization in RTL simulation",
                    "accelgen bench kv_cache --json kv.json")
    bench.add_argument("--unit")
    bench.add_argument("--simulator", default="verilator")
    bench.add_argument("--json", help="also write the report as JSON here")
    return parser


def run(argv) -> int:
    from . import config as config_module

    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        # no command: the usage, as the user error it is
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from . import progress
    progress.set_level(progress.QUIET if args.quiet else
                       progress.VERBOSE if args.verbose else progress.NORMAL)
    if args.command == "list":
        print(_listing())
        return EXIT_OK
    design = config_module.load_config(args.config)
    if args.command == "check":
        import yaml

        from .fit import derived_lines, fit_lines
        from .synth.devices import DEVICES
        print(yaml.safe_dump(design.to_dict(), sort_keys=False), end="")
        # the figures and the fit as YAML comments: the output still loads as a config
        print("# derived:")
        for name, config in design.units.items():
            for line in derived_lines(name, config):
                print(f"#   {line}")
        print("# fit, estimated before synthesis (accelgen/fit.py):")
        for line in fit_lines(design, DEVICES):
            print(f"#   {line}")
        return EXIT_OK
    if args.command == "run":
        from .main_job import format_summary, main_job
        rows, passed = main_job(design, args.device)
        print(format_summary(design, args.device, rows))
        return EXIT_OK if passed else EXIT_FAILED
    if args.command == "generate":
        from .generation import generate
        for made in generate(design, args.output, args.unit, args.device, args.interface):
            wrapper = f" {made.axi_stream} (module {made.module}_axis)" if made.axi_stream \
                else ""
            print(f"{made.unit}: {made.verilog} {made.manifest} (module {made.module})"
                  f"{wrapper}")
        from .fusesoc import core_name, core_path
        print(f"FuseSoC core: {core_path(design, made.verilog.parent)} ({core_name(design)})")
        return EXIT_OK
    if args.command == "sim":
        from .sim import coverage
        from .sim.runner import simulate
        if args.verilog and args.unit is None:
            if len(design.units) != 1:
                raise AccelgenError("--verilog: the design has several units; name one "
                                    "with --unit")
        if args.soak is not None and not 1 <= args.soak <= 10_000_000:
            raise AccelgenError(f"--soak: must be 1..10000000 jobs, got {args.soak}")
        if args.coverage:
            from .files import writable_file
            writable_file(args.coverage, "--coverage")
        failed, reports = False, []
        for unit in design.selected(args.unit):
            result = simulate(design, unit, simulator=args.simulator, seed=args.seed,
                              waves=args.waves, verilog=args.verilog,
                              post_synthesis=args.post_synthesis, soak=args.soak,
                              interface=args.interface)
            verdict = "PASS" if result.passed else "FAIL"
            if args.soak is not None:
                print(f"{unit} [{args.simulator}, seed {args.seed}]: soak of {args.soak} "
                      f"jobs: {verdict}; coverage {coverage.summary(result.coverage)}; "
                      f"log {result.log}")
                reports.append(coverage.report(unit, result.coverage))
                failed |= not result.passed
                continue
            skipped = f", {len(result.skipped)} skipped" if result.skipped else ""
            # (the AXI4-Stream tests declare no bins: the wrapper only renames)
            covered = f"coverage {coverage.summary(result.coverage)}; " \
                if result.coverage else ""
            print(f"{unit} [{args.simulator}, seed {args.seed}]: {verdict} "
                  f"{result.tests - result.failures}/{result.tests} tests{skipped}; "
                  f"{covered}log {result.log}")
            for bin_name in coverage.missed(result.coverage):
                print(f"  never hit: {bin_name}")
            reports.append(coverage.report(unit, result.coverage))
            failed |= not result.passed
        if args.coverage:
            from .files import write_atomically
            write_atomically(args.coverage, "\n".join(reports))
            print(f"coverage report: {args.coverage}")
        return EXIT_FAILED if failed else EXIT_OK
    if args.command == "synth":
        from .synth.flow import format_report, synthesize
        if not 1 <= args.seeds <= 20:
            raise AccelgenError(f"--seeds: must be 1..20, got {args.seeds}")
        report = synthesize(design, args.device, args.unit, args.json, args.flow,
                            force=args.force, seeds=tuple(range(1, args.seeds + 1)))
        print(format_report(report))
        return EXIT_OK
    if args.command == "build":
        from .boards.build import build_board
        made = build_board(design, args.board, args.unit, program=args.program,
                           selftest=args.selftest, force=args.force)
        print(f"{made.board}: bitstream {made.bitstream} (yosys flow {made.flow})")
        if made.baud is not None:
            print(f"  host link: UART at {made.baud} baud, config hash {made.config_hash}; "
                  f"use Accelerator.open(PORT, design) from accelgen.host")
        for unit, value in made.signatures.items():
            print(f"  {unit}: self-test signature {value}")
        if made.programmed:
            print(f"{made.board}: programmed")
        return EXIT_OK
    if args.command == "serve":
        import signal

        from .sim.serve import start_server
        if args.unit is not None:
            design = design.only([args.unit])
        # Ctrl-C stops it even where SIGINT came ignored (Python then installs no
        # handler: a `&` job of a script, some test runners' workers)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        with start_server(design, args.port) as server:
            print(f"{design.name}: serving the simulated accelerator at {server.url} "
                  "(Ctrl-C stops)", flush=True)
            try:
                server.process.wait()
            except KeyboardInterrupt:
                pass
            if server.process.returncode not in (None, 0, -15):
                raise AccelgenError(f"serve: the simulation exited with "
                                    f"{server.process.returncode}")
        return EXIT_OK
    if args.command == "prove":
        from .generation import default_build_dir
        from .sim.formal import prove_unit
        if args.depth is not None and not 4 <= args.depth <= 200:
            raise AccelgenError(f"--depth: must be 4..200, got {args.depth}")
        failed = False
        for unit in design.selected(args.unit):
            work = default_build_dir(design) / "prove" / unit
            result, patience = prove_unit(design, unit, work, args.depth)
            print(f"{unit}: {result.summary()} (progress bound {patience} cycles; "
                  f"log {work / 'sby.log'})")
            failed |= not result.passed
        return EXIT_FAILED if failed else EXIT_OK
    if args.command == "mutate":
        return _mutate(design, args)
    if args.command == "bench":
        from .benchmark import bench, format_bench
        print(format_bench(bench(design, args.unit, args.simulator, args.json)))
        return EXIT_OK
    raise AssertionError(args.command)


def _mutate(design, args) -> int:
    from .generation import default_build_dir
    from .sim import mutation
    from .tools import check_simulator
    for name, value, low, high in (("--count", args.count, 1, 1000),
                                   ("--jobs", args.jobs, 1, 64),
                                   ("--budget", args.budget, 10, 86400),
                                   ("--seed", args.seed, 0, (1 << 32) - 1)):
        if not low <= value <= high:
            raise AccelgenError(f"{name}: must be {low}..{high}, got {value}")
    if args.min_score is not None and not 0 <= args.min_score <= 100:
        raise AccelgenError(f"--min-score: must be 0..100, got {args.min_score}")
    check_simulator(args.simulator)
    low = False
    for unit in design.selected(args.unit):
        work = default_build_dir(design) / "mutate" / unit
        mutants = mutation.run(design, unit, work, count=args.count, seed=args.seed,
                               jobs=args.jobs, budget=args.budget, simulator=args.simulator)
        for mutant in mutants:
            print(f"  {mutant.index:>3} {mutant.verdict:<13} {mutant.words}")
            if mutant.verdict == mutation.EQUIVALENT:
                print(f"      {mutant.argument}")
        detected, counted = mutation.score(mutants)
        tally = ", ".join(f"{verdict} {n}" for verdict in mutation.VERDICTS
                          if (n := sum(m.verdict == verdict for m in mutants)))
        percent = 100 * detected / counted if counted else 100.0
        print(f"{unit}: score {detected}/{counted} = {percent:.1f}% ({tally}); "
              f"report {work / 'report.json'}")
        low |= args.min_score is not None and percent < args.min_score
    return EXIT_FAILED if low else EXIT_OK


def _listing() -> str:
    """What `accelgen list` prints: everything a config can name."""
    import dataclasses

    from .boards.table import BOARDS
    from .config import presets
    from .registry import UNIT_KINDS
    from .synth.devices import DEVICES

    lines = ["presets (accelgen check NAME):"]
    for name, text in presets().items():
        lines.append(f"  {name:<15} {text[:100]}{'...' if len(text) > 100 else ''}")
    lines.append("unit kinds (key=default):")
    for name, kind in UNIT_KINDS.items():
        keys = []
        for field in dataclasses.fields(kind.config_class):
            default = field.metadata.get("shown", field.default)
            default = getattr(default, "value", default)
            keys.append(f"{field.name}={list(default) if isinstance(default, tuple) else default}")
        lines.append(f"  {name:<15} {', '.join(keys)}")
    lines.append(f"devices: {', '.join(DEVICES)}")
    lines.append("boards (accelgen build --board NAME): device; pass/fail LEDs; programmer; "
                 "host link")
    for name, entry in BOARDS.items():
        lines.append(f"  {name:<20} {entry.device}; {_leds(entry)}; "
                     f"{entry.programmer_default or 'none in amaranth-boards'}; {entry.link}")
    return "\n".join(lines)


def _leds(entry) -> str:
    def led(pins):
        name, number, subsignal = pins
        return f"{name}[{number}]" + (f".{subsignal}" if subsignal else "")
    if entry.fail_led is None:
        return f"{led(entry.pass_led)} (on: pass, blinking: fail)"
    return f"{led(entry.pass_led)} / {led(entry.fail_led)}"


def main(argv=None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except AccelgenError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except CheckFailed as failure:
        print(f"failed: {failure}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:     # a bug: keep its traceback where the user can send it
        return _internal_error(error)


def _internal_error(error: Exception) -> int:
    import tempfile
    import traceback
    log = Path(tempfile.gettempdir()) / f"accelgen-crash-{os.getpid()}.log"
    text = "".join(traceback.format_exception(error))
    try:
        log.write_text(text)
        where = f"traceback in {log}"
    except OSError:
        where = "traceback follows"
        print(text, file=sys.stderr)
    print(f"internal error (a bug in accelgen): {type(error).__name__}: {error}; {where}; "
          "please report it", file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
