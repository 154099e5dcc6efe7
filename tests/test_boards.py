"""Board self-test logic in simulation, real bitstream builds, and programming through
a stand-in programmer (no board is attached to CI)."""

import os
import re
import stat
import sys

import pytest
from amaranth.sim import Simulator

from accelgen import load_config
from accelgen.boards.selftest import SelfTest, SelfTestPlan
from accelgen.boards.table import BOARDS
from accelgen.link_plan import config_hash
from accelgen.registry import UNIT_KINDS

from .conftest import CONFIGS, case_design, have, sweep


def run_selftest(plan, expected=None, cycles=4000):
    dut = SelfTest(plan, expected)
    seen = {}

    async def bench(ctx):
        for cycle in range(cycles):
            await ctx.tick()
            if ctx.get(dut.done):
                seen.update(cycle=cycle, passed=ctx.get(dut.passed),
                            signature=ctx.get(dut.result_signature))
                return

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return seen


# every registered kind at its smallest, and the presets the boards build
SELFTESTS = [f"{kind}:minimum" for kind in UNIT_KINDS] + [
    "default.yaml", "ws_int8_2x4.yaml", "ternary_8x2.yaml", "ternary_mlgru.yaml",
    "bitserial_w4.yaml", "kv_cache_up5k.yaml"]


@pytest.mark.parametrize("entry", SELFTESTS)
def test_selftest_passes_with_the_golden_signature(entry):
    if entry.endswith(".yaml"):
        config = next(iter(load_config(CONFIGS / entry).units.values()))
    else:
        design, unit = case_design(*entry.split(":"))
        config = design.units[unit]
    plan = SelfTestPlan(config)
    seen = run_selftest(plan, cycles=10_000)
    assert seen, "the self-test never finished"
    assert seen["passed"] == 1 and seen["signature"] == plan.signature


def test_selftest_fails_when_the_signature_is_wrong():
    plan = SelfTestPlan(load_config().units["gemm"])
    seen = run_selftest(plan, expected=plan.signature ^ 0x100)
    assert seen and seen["passed"] == 0


def test_selftest_plan_signs_real_results():
    plan = SelfTestPlan(load_config().units["gemm"])
    # 4 jobs of a 4x4 tile: 16 result rows, not all zero
    assert len(plan.result_words) == 16 and any(plan.result_words)


def stand_in_programmer(folder, name):
    """A programmer that records its arguments and keeps a copy of the bitstream."""
    script = folder / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import shutil, sys, pathlib\n"
        f"log = pathlib.Path({str(folder)!r})\n"
        "(log / 'argv.txt').write_text('\\n'.join(sys.argv[1:]))\n"
        "shutil.copy(sys.argv[-1], log / 'programmed.bin')\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


# board, the units of the default design it takes, programmer variable, the arguments
# amaranth-boards passes before the bitstream
PROGRAMMED = [("icebreaker", ["--unit", "gemm"], "ICEPROG", [], "top.bin"),
              ("ulx3s-85f", [], "OPENFPGALOADER", ["-b", "ulx3s", "-m"], "top.bit")]


@pytest.mark.slow
@pytest.mark.parametrize("board,units,variable,arguments,bitstream_name", PROGRAMMED,
                         ids=[row[0] for row in PROGRAMMED])
def test_system_builds_and_programs(board, units, variable, arguments, bitstream_name, cli,
                                    in_tmp, monkeypatch):
    """The host-linked system of the default design (of one of its units on the
    iCEBreaker, all four on the ULX3S), programmed by a stand-in."""
    programmer = stand_in_programmer(in_tmp, f"{board}-programmer")
    monkeypatch.setenv(variable, str(programmer))
    code, out, err = cli("build", "--board", board, *units, "--program")
    assert code == 0, err
    bitstream = in_tmp / "build" / "accelgen_default" / "boards" / board / bitstream_name
    assert f"bitstream {bitstream.relative_to(in_tmp)}" in out and "programmed" in out
    argv = (in_tmp / "argv.txt").read_text().splitlines()
    assert argv[:-1] == arguments and argv[-1].endswith(bitstream_name)
    # the programmer got exactly the bitstream that was built
    assert (in_tmp / "programmed.bin").read_bytes() == bitstream.read_bytes()
    assert bitstream.stat().st_size > 100_000
    baud = BOARDS[board].baud
    design = load_config()
    built = design.only(units[1:]) if units else design
    assert f"UART at {baud} baud, config hash {config_hash(built)}" in out
    # the UART is on the board's USB-UART pins, and timing closed at the board's clock
    timing = (bitstream.parent / "top.tim").read_text()
    assert "PASS at" in timing and "FAIL" not in timing


def test_system_build_refuses_what_it_cannot_make(cli, write_config):
    code, _, err = cli("build", "--board", "icebreaker")
    assert code == 2 and "ice40-up5k: the host-linked system of gemm, bitlinear, dequant, kv " \
        "cannot fit: block RAM" in err and "--force" in err
    code, _, err = cli("build", "--board", "orangecrab-85f")
    assert code == 2 and "no host link" in err and "--selftest" in err
    slow = write_config("name: x\nunits: {a: {kind: systolic}}\nhost: {baud: 3000000}\n")
    code, _, err = cli("build", slow, "--board", "ulx3s-85f")
    assert code == 2 and "host.baud: 3000000 baud on ulx3s-85f (25 MHz) is 8.33 clock " \
        "cycles per bit" in err and "exact bauds: 6250000, 5000000" in err


@pytest.mark.slow
def test_second_preset_builds_for_icebreaker_on_the_dsps(cli, in_tmp):
    code, _, err = cli("build", CONFIGS / "ws_int8_2x4.yaml", "--board", "icebreaker",
                       "--selftest")
    assert code == 0, err
    report = (in_tmp / "build" / "ws_int8_2x4" / "boards" / "icebreaker-selftest" /
              "top.tim").read_text()
    # eight 8 x 8 products, two to an SB_MAC16 (its 8x8 mode: hw/dsp.py)
    assert "ICESTORM_DSP:       4/" in report


# the ternary unit on both boards: the UP5K preset, and the MLGRU cell on the ECP5;
# the bit-serial unit: the 4-bit mixture on the UP5K, all six families on the ECP5; the
# KV cache: in SPRAM on the UP5K, 8 heads in block RAM on the ECP5
# (the ECP5 ones with ACCELGEN_FULL_SWEEPS: the ULX3S system build has every kind on ECP5)
TERNARY_BUILDS = sweep([("ternary_8x2.yaml", "icebreaker", "top.bin"),
                        ("ternary_mlgru.yaml", "ulx3s-85f", "top.bit"),
                        ("bitserial_w4.yaml", "icebreaker", "top.bin"),
                        ("bitserial.yaml", "ulx3s-85f", "top.bit"),
                        ("kv_cache_up5k.yaml", "icebreaker", "top.bin"),
                        ("kv_cache.yaml", "ulx3s-85f", "top.bit")],
                       [("ternary_8x2.yaml", "icebreaker", "top.bin"),
                        ("bitserial_w4.yaml", "icebreaker", "top.bin"),
                        ("kv_cache_up5k.yaml", "icebreaker", "top.bin")])


@pytest.mark.slow
@pytest.mark.parametrize("preset,board,bitstream_name", TERNARY_BUILDS,
                         ids=[f"{row[0].split('_')[0].split('.')[0]}-{row[1]}"
                              for row in TERNARY_BUILDS])
def test_unit_self_test_builds(preset, board, bitstream_name, cli, in_tmp):
    code, out, err = cli("build", CONFIGS / preset, "--board", board, "--selftest")
    assert code == 0, err
    design = load_config(CONFIGS / preset)
    bitstream = in_tmp / "build" / design.name / "boards" / f"{board}-selftest" / bitstream_name
    assert bitstream.stat().st_size > 100_000
    plan = SelfTestPlan(next(iter(design.units.values())))
    assert f"self-test signature {plan.signature:08x}" in out


@pytest.mark.slow
def test_orangecrab_builds(cli, in_tmp, write_config):
    """The OrangeCrab's DFU image (dfu-suffix), of a small unit's self-test."""
    if not have("dfu-suffix"):
        message = "the OrangeCrab build needs dfu-suffix: apt-get install dfu-util"
        if os.environ.get("CI"):
            pytest.fail(message)     # .ci/run installs it; its absence there is a bug
        pytest.skip(message)
    small = write_config("name: crab\nunits: {a: {kind: systolic, rows: 2, cols: 2, "
                         "activation_bits: 4, weight_bits: 4}}\n")
    code, _, err = cli("build", small, "--board", "orangecrab-85f", "--selftest")
    assert code == 0, err
    assert (in_tmp / "build" / "crab" / "boards" / "orangecrab-85f-selftest" /
            "top.bit").stat().st_size > 100_000


def test_program_without_a_programmer_is_a_clear_error(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("ICEPROG", str(tmp_path / "no-such-iceprog"))
    code, _, err = cli("build", "--board", "icebreaker", "--program")
    assert code == 2 and "programmer" in err and "not found" in err and "ICEPROG" in err


def test_failing_programmer_is_a_clear_error(monkeypatch, tmp_path):
    from amaranth.build.run import LocalBuildProducts

    from accelgen import AccelgenError
    from accelgen.boards.build import program_bitstream
    failing = tmp_path / "iceprog"
    failing.write_text("#!/bin/sh\necho 'Can not find iCE FTDI USB device' >&2\nexit 2\n")
    failing.chmod(0o755)
    monkeypatch.setenv("ICEPROG", str(failing))
    (tmp_path / "top.bin").write_bytes(b"\x00" * 16)
    board = BOARDS["icebreaker"]
    with pytest.raises(AccelgenError, match="iceprog failed with exit 2; is the board connected"):
        program_bitstream(board, board.make_platform(program=True), LocalBuildProducts(str(tmp_path)))


def test_unknown_board(cli):
    code, _, err = cli("build", "--board", "arty")
    assert code == 2 and "unknown board 'arty'; allowed: icebreaker, icebreaker-bitsy" in err


def _device_of(platform) -> str:
    """Our device key for an amaranth-boards platform's part."""
    part = getattr(platform, "device", None) or platform.part
    if part.startswith("iCE40"):
        return f"ice40-{part[5:].lower()}"
    if part.startswith("LFE5"):
        return f"ecp5-{part.split('-')[1].rstrip('F')}k"
    series, size = re.match(r"(GW\w+)-LV(\d+)", part).groups()     # GW1NR-LV9QN88PC6/I5
    return f"gowin-{series.lower()}-{size}"


@pytest.mark.parametrize("name", list(BOARDS))
def test_board_table_matches_amaranth_boards(name):
    """Each row's device, LEDs, UART and programmer are what its platform has."""
    import inspect

    from accelgen.boards.system_top import checked_divisor
    from accelgen.synth.devices import DEVICES
    entry = BOARDS[name]
    platform = entry.make_platform()
    assert entry.device in DEVICES and _device_of(platform) == entry.device
    resources = {(resource.name, resource.number): resource
                 for resource in platform.resources.values()}
    for led in (entry.pass_led, entry.fail_led, *entry.also_on):
        if led is None:
            continue
        resource = resources[led[:2]]
        if led[2] is not None:
            assert led[2] in [subsignal.name for subsignal in resource.ios]
    if entry.baud:
        assert ("uart", 0) in resources and entry.bridge
        checked_divisor(int(platform.default_clk_frequency), entry.baud, name)
    else:
        assert entry.no_link
    from amaranth.build import Platform
    program = type(platform).toolchain_program
    if entry.programmer_default is None:
        assert program is Platform.toolchain_program     # amaranth's: "not supported"
    else:
        source = inspect.getsource(program)
        assert f'"{entry.programmer_default}"' in source
        if entry.programmer:
            assert f'"{entry.programmer}"' in source


def test_list_shows_every_board_with_its_device_leds_programmer_and_link(cli):
    code, out, _ = cli("list")
    assert code == 0
    lines = out[out.index("boards ("):].splitlines()[1:]
    assert [line.split()[0] for line in lines] == list(BOARDS)
    assert "tang-nano-9k         gowin-gw1nr-9; led[0] / led[1]; openFPGALoader; UART " \
        "1000000 baud via the BL702" in out
    assert "colorlight-5a-75b    ecp5-25k; led[0] (on: pass, blinking: fail)" in out
    assert "butterstick          ecp5-85k; rgb_leds_muxed[0].g / rgb_leds_muxed[0].r; " \
        "none in amaranth-boards; none (it has only USB" in out


@pytest.mark.slow
def test_gowin_board_builds_and_programs(cli, write_config, in_tmp, monkeypatch):
    """The Gowin family's open flow (yosys synth_gowin, nextpnr-himbaechel, gowin_pack)
    builds a self-test for the Tang Nano 9K; amaranth-boards runs openFPGALoader from
    PATH (no variable), so the stand-in goes first on PATH."""
    stand_in_programmer(in_tmp, "openFPGALoader")
    monkeypatch.setenv("PATH", f"{in_tmp}{os.pathsep}{os.environ['PATH']}")
    config = write_config("name: small\nunits:\n  u: {kind: systolic, rows: 2, cols: 2, "
                          "activation_bits: 4, weight_bits: 4}\n")
    code, out, err = cli("build", config, "--board", "tang-nano-9k", "--selftest", "--program")
    assert code == 0, err
    bitstream = in_tmp / "build" / "small" / "boards" / "tang-nano-9k-selftest" / "top.fs"
    # (amaranth-boards hands it a temporary copy of the bitstream)
    assert (in_tmp / "argv.txt").read_text().splitlines()[:2] == ["-b", "tangnano9k"]
    assert (in_tmp / "programmed.bin").read_bytes() == bitstream.read_bytes()
    assert bitstream.stat().st_size > 1_000_000
    plan = SelfTestPlan(load_config(config).units["u"])
    assert f"self-test signature {plan.signature:08x}" in out
    timing = (bitstream.parent / "top.tim").read_text()
    assert "nextpnr-himbaechel" in (bitstream.parent / "build_top.sh").read_text()
    assert "PASS at" in timing and "FAIL" not in timing


def test_board_without_a_programmer_says_how_to_load_it(cli):
    code, _, err = cli("build", "--board", "butterstick", "--selftest", "--program")
    assert code == 2 and "amaranth-boards cannot program the butterstick" in err
