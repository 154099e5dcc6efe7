"""Issue 13's defects, each as found by trying accelgen as a new user would: a bad input
gives one line and exit 2, a failed check exit 1, a bug exit 3 with its traceback kept;
nothing is accepted that makes no sense, and the Python API checks what it is given."""

import numpy as np
import pytest

import accelgen
from accelgen import AccelgenError, load_config
from accelgen.config import parse_design, single_unit_design
from accelgen.errors import ConfigError
from accelgen.kv_config import KVBufferConfig
from accelgen.systolic_config import SystolicConfig


def test_bad_config_paths_are_one_line(cli, tmp_path):
    (tmp_path / "file").write_text("")
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    for path, message in ((tmp_path / "file" / "c.yaml", "Not a directory"),
                          (tmp_path / ("x" * 5000 + ".yaml"), "File name too long"),
                          (deep, "nested too deeply")):
        code, _, err = cli("check", path)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    for bad in (123, "a\x00b"):
        with pytest.raises(AccelgenError):
            load_config(bad)


def test_names_fit_file_and_module_names(write_config, cli):
    code, _, err = cli("check", write_config(f"name: d\nunits: {{{'u' * 65}: {{kind: systolic}}}}\n"))
    assert code == 2 and "at most 64" in err


def test_outputs_are_checked_before_the_run(cli, tmp_path):
    folder = tmp_path / "report"
    folder.mkdir()
    for command in (("bench", "--json", folder), ("synth", "--device", "ice40-up5k",
                                                   "--json", folder)):
        code, _, err = cli(*command)
        assert code == 2 and "is a folder; give a file name" in err
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the output folder should be")
    code, _, err = cli("generate", "-o", blocked / "out")
    assert code == 2 and "cannot create output folder" in err


def test_binary_verilog_is_refused(cli, tmp_path):
    binary = tmp_path / "random.v"
    binary.write_bytes(bytes(range(256)) * 4)
    code, _, err = cli("sim", "--unit", "gemm", "--verilog", binary)
    assert code == 2 and "is not Verilog text" in err


def test_the_harness_module_name_is_taken(cli, write_config):
    path = write_config("name: accelgen_synth\nunits: {harness: {kind: systolic}}\n")
    code, _, err = cli("synth", path, "--device", "ice40-up5k")
    assert code == 2 and "is the synthesis harness's" in err


def test_sizes_that_cannot_exist_are_refused():
    with pytest.raises(AccelgenError, match="at most 16 Mbit"):
        single_unit_design("d", "kv", "kv_buffer", heads=64, max_tokens=65536, head_dim=1024,
                           lanes=8)
    with pytest.raises(AccelgenError, match="UP5K has 1024 kbit of SPRAM"):
        single_unit_design("d", "kv", "kv_buffer", heads=4, max_tokens=4096, head_dim=64,
                           memory="spram")


def test_defaults_follow_the_mode_and_ignored_keys_are_refused(cli, write_config):
    for policy in ("window", "none"):
        design = single_unit_design("d", "kv", "kv_buffer", policy=policy)
        assert design.units["kv"].sink_tokens == 0
    assert single_unit_design("d", "kv", "kv_buffer").units["kv"].sink_tokens == 4
    assert single_unit_design("d", "kv", "kv_buffer", max_tokens=3).units["kv"].sink_tokens == 2
    with pytest.raises(AccelgenError, match="units.g.max_depth: not used here"):
        single_unit_design("d", "g", "systolic", dataflow="weight_stationary", max_depth=64)
    code, out, _ = cli("check", write_config(
        "name: d\nunits: {g: {kind: systolic, dataflow: weight_stationary}}\n"))
    assert code == 0 and "max_depth" not in out
    # what check prints loads again to the same design
    design = single_unit_design("d", "g", "systolic", dataflow="weight_stationary")
    assert parse_design(design.to_dict(), "again").units == design.units


def test_configs_built_in_python_are_checked():
    with pytest.raises(ConfigError, match="rows: must be an integer"):
        SystolicConfig(rows=4.5)
    with pytest.raises(ConfigError, match="signed: must be true or false"):
        SystolicConfig(signed=1)
    assert KVBufferConfig(policy="window").sink_tokens == 0


def test_golden_quantizers_refuse_what_has_no_code():
    from accelgen.formats.bitmod_datatypes import datatype_table
    from accelgen.golden import bitmod, kv_cache, ternary
    for bad in (np.array([1.0, np.nan]), np.array([np.inf, 1.0]), np.array([])):
        with pytest.raises(AccelgenError):
            ternary.absmax_quantize(bad)
        with pytest.raises(AccelgenError):
            ternary.absmean_ternary(bad)
    with pytest.raises(AccelgenError, match="NaN"):
        bitmod.quantize(np.array([[1.0, np.nan, 2.0]]), 3, datatype_table(["int4"]))
    with pytest.raises(AccelgenError, match="allowed: int2"):
        datatype_table(["int5"])
    with pytest.raises(AccelgenError, match="none given"):
        datatype_table([])
    with pytest.raises(AccelgenError, match="group_size"):
        bitmod.quantize(np.ones((2, 4)), 0, datatype_table(["int4"]))
    with pytest.raises(AccelgenError, match="2 axes"):
        bitmod.quantize(np.ones(4), 4, datatype_table(["int4"]))
    with pytest.raises(AccelgenError, match="kv_bits must be 4 or 8"):
        kv_cache.quantize(np.ones((1, 4), dtype=int), 5, 16)
    with pytest.raises(AccelgenError, match="fractions"):
        kv_cache.quantize(np.array([[1.5, 2.0]]), 4, 16)
    codes, scales = kv_cache.quantize(np.array([[3.0, -7.0]]), 4, 16)   # whole numbers: fine
    assert codes.tolist() == [[3, -7]] and scales.tolist() == [7]


def test_exit_codes_keep_their_contract(cli, monkeypatch, capsys):
    from accelgen import benchmark, cli as cli_module
    from accelgen.sim.runner import SimResult

    def crash(argv):
        raise RuntimeError("a bug")
    monkeypatch.setattr(cli_module, "run", crash)
    code = cli_module.main(["check"])
    err = capsys.readouterr().err
    assert code == 3 and "internal error (a bug in accelgen): RuntimeError: a bug" in err
    log = err.split("traceback in ")[1].split(";")[0]
    assert "RuntimeError: a bug" in open(log).read()
    monkeypatch.undo()

    def failed_measurement(design, unit, **options):
        return SimResult(unit, "verilator", ("measure",), ("measure",), (), None, "sim.log", {})
    monkeypatch.setattr("accelgen.sim.runner.simulate", failed_measurement)
    with pytest.raises(accelgen.errors.CheckFailed):
        benchmark.bench(load_config())
    code, _, err = cli("bench")
    assert code == 1 and err.startswith("failed: bench: the measurement of gemm failed")


def test_discovery_commands(cli, capsys, in_tmp):
    from accelgen.cli import main
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.startswith("accelgen 0.")
    code, _, err = cli()
    assert code == 2 and "usage: accelgen" in err
    code, out, _ = cli("list")
    assert code == 0 and "kv_cache_up5k" in out and "systolic" in out and "ice40-up5k" in out
    code, out, _ = cli("check", "kv_cache")
    assert code == 0 and out.startswith("name: kv_cache")
    code, _, err = cli("check", "kv_cach")
    assert code == 2 and "nor a preset" in err and "kv_cache_up5k" in err
    code, out, _ = cli("generate", "--unit", "gemm")
    assert code == 0 and "gemm.v" in out
    for command in ("check", "generate", "sim", "synth", "build", "serve", "bench", "prove",
                    "mutate"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "example: accelgen " in capsys.readouterr().out


def test_progress_says_what_runs_unless_quiet(cli, in_tmp):
    code, out, err = cli("generate")
    assert code == 0 and "elaborating gemm ..." in err and "elaborating gemm: done in" in err
    assert "gemm.v" in out and "elaborating" not in out     # results on stdout only
    code, out, err = cli("generate", "-q")
    assert code == 0 and err == "" and "gemm.v" in out


def test_progress_follows_a_log_when_verbose(capsys, tmp_path):
    from accelgen import progress
    log = tmp_path / "tool.log"
    progress.set_level(progress.VERBOSE)
    try:
        with progress.step("a tool", log=log):
            log.write_text("first line\nsecond line\n")
    finally:
        progress.set_level(progress.NORMAL)
    err = capsys.readouterr().err
    assert "  | first line" in err and "  | second line" in err and "a tool: done in" in err


def test_fit_estimate_and_refusal(cli):
    import yaml

    from accelgen.fit import blocks_for, estimate, require_fit
    from accelgen.synth.devices import device
    from accelgen.unit import MemoryUse
    assert blocks_for(MemoryUse("m", 20, 300), device("ice40-up5k")) == (3, 0)
    assert blocks_for(MemoryUse("m", 16, 65536, spram=True), device("ice40-up5k")) == (0, 4)
    kv = load_config("kv_cache").units["kv"]
    assert not estimate([kv], "ice40-up5k").fits and estimate([kv], "ecp5-85k").fits
    # the measured figure (BENCHMARKS.md, section fit)
    assert estimate([kv], "ecp5-85k").bram_blocks == 141
    up5k = load_config("kv_cache_up5k").units["kv"]
    assert estimate([up5k], "ice40-up5k").spram_blocks == 4
    assert "has none" in estimate([up5k], "ecp5-85k").problems[0]
    assert require_fit([kv], "ice40-up5k", force=True).fits is False
    code, _, err = cli("synth", "kv_cache", "--device", "ice40-up5k")
    assert code == 2 and "ice40-up5k: unit kv cannot fit: block RAM" in err and "--force" in err
    code, _, err = cli("build", "kv_cache", "--board", "icebreaker")
    assert code == 2 and "cannot fit" in err
    code, out, _ = cli("check", "kv_cache")
    assert code == 0 and "block RAM 141/208, DSP 10/156: fits" in out and "too large" in out
    assert yaml.safe_load(out)["units"]["kv"]["heads"] == 8     # still a config


@pytest.mark.slow
def test_run_is_the_main_job_with_a_summary(cli, write_config, in_tmp):
    path = write_config("name: small\nunits: {mac: {kind: systolic, rows: 1, cols: 2, "
                        "max_depth: 64}}\n")
    code, out, err = cli("run", path)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].split()[:4] == ["unit", "kind", "tests", "utilization"]
    row = lines[3].split()
    assert row[0] == "mac" and row[1] == "systolic" and row[3] == "PASS"
    assert (in_tmp / "build" / "small" / "mac.v").is_file()
    assert (in_tmp / "build" / "small" / "synth-ice40-up5k.json").is_file()
