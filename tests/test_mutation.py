"""`accelgen mutate`: a small sample of mutants per kind, each caught by the kind's
regression (the full scores are in BENCHMARKS.md), the cache, the words, the errors."""

import json
import re

import pytest

from accelgen.registry import UNIT_KINDS
from accelgen.sim import mutation

from .conftest import case_design


def test_a_mutation_is_described_in_words():
    command = ("mutate -mode cnot1 -module m_u -cell $procdff$9 -port D -portbit 5 "
               "-ctrlbit 2 -wire \\count -wirebit 5 -src rtl/u.v:3.1-3.9 -src rtl/u.v:2.5-2.9")
    lines = ["module m_u(clk);", "  always @(posedge clk)", "    count <= count + 1;"]
    assert mutation.describe(command, lines) == (
        "bit 5 of count flipped while bit 2 of D is 1 (line 2: always @(posedge clk))")
    assert mutation.describe("mutate -mode const0 -module m -cell $and$1 -port Y "
                             "-portbit 0", []) == "bit 0 of $and$1.Y stuck at 0"


def test_score_leaves_out_what_no_test_could_catch():
    verdicts = ["killed", "timeout", "survived", "equivalent", "not buildable"]
    mutants = [mutation.Mutant(i, "", "", verdict) for i, verdict in enumerate(verdicts)]
    assert mutation.score(mutants) == (2, 3)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(UNIT_KINDS))
def test_the_regression_catches_a_sample_of_mutants(kind, tmp_path):
    design, unit = case_design(kind, "minimum")
    mutants = mutation.run(design, unit, tmp_path, count=1, seed=1, jobs=1, budget=600)
    assert len(mutants) == 1
    survivors = [m.words for m in mutants if m.verdict == mutation.SURVIVED]
    assert not survivors, f"{kind}: mutants no test catches: {survivors}"
    report = json.loads((tmp_path / "report.json").read_text())
    assert [entry["verdict"] for entry in report] == [m.verdict for m in mutants]
    if kind == "adder":
        # a second run finds every verdict in the cache
        again = mutation.run(design, unit, tmp_path, count=1, seed=1, jobs=1, budget=600)
        assert [(m.verdict, m.seconds) for m in again] == \
            [(m.verdict, m.seconds) for m in mutants]


@pytest.mark.parametrize("args, message", [
    (["--count", "0"], "--count: must be 1..1000, got 0"),
    (["--jobs", "65"], "--jobs: must be 1..64, got 65"),
    (["--budget", "5"], "--budget: must be 10..86400, got 5"),
    (["--min-score", "101"], "--min-score: must be 0..100, got 101.0"),
    (["--simulator", "xsim"], "xsim"),
])
def test_mutate_refuses_bad_arguments(cli, args, message):
    code, _, err = cli("mutate", "--unit", "gemm", *args)
    assert code == 2 and message in err and err.count("\n") == 1


def test_mutate_command_prints_each_mutant_and_the_score(cli, write_config, monkeypatch,
                                                         tmp_path):
    monkeypatch.chdir(tmp_path)
    path = write_config("name: sums\nunits:\n  add: {kind: adder, width: 3, stages: 2}\n")
    code, out, err = cli("mutate", path, "--count", "3", "--jobs", "2", "--min-score", "100")
    assert code == 0, err
    rows = out.splitlines()
    assert len(rows) == 4 and all(row.split()[1] in mutation.VERDICTS for row in rows[:3])
    assert rows[3].startswith("add: score 3/3 = 100.0% (")
    assert (tmp_path / "build" / "sums" / "mutate" / "add" / "report.json").is_file()


def test_every_argued_equivalent_names_a_wire_or_a_preset_mutant_of_its_kind(tmp_path):
    import yaml

    from accelgen import load_config
    from accelgen.config import presets
    from accelgen.generation import generate_unit, module_name
    arguments = yaml.safe_load(mutation.EQUIVALENTS.read_text())
    modules = {module_name(design, unit): config.kind
               for design in map(load_config, presets())
               for unit, config in design.units.items()}
    verilog_of = {}

    def verilog(kind, case):
        if (kind, case) not in verilog_of:
            design, unit = case_design(kind, case)
            verilog_of[kind, case] = generate_unit(
                design, unit, tmp_path / kind / case).verilog.read_text()
        return verilog_of[kind, case]

    for kind, wires in arguments.items():
        assert kind in UNIT_KINDS
        for wire, argument in wires.items():
            assert len(argument) > 80, (kind, wire)
            if wire.startswith("mutate "):
                # one mutant of one preset's netlist: `mutate -list`'s words for it
                fields = dict(re.findall(r"-(\w+) (\S+)", wire))
                assert fields["mode"] in ("inv", "const0", "const1", "cnot0", "cnot1")
                assert modules.get(fields["module"]) == kind, (kind, wire)
                continue
            # a wire of some test config of the kind; flattened names start with the
            # instance: read_path.at_sum.x is at_sum.x in the read_path module
            inner = wire.split(".", 1)[-1]
            assert any(f"\\{wire} " in verilog(kind, case) or
                       f"\\{inner} " in verilog(kind, case)
                       for case in UNIT_KINDS[kind].test_configs), (kind, wire)


def test_a_mutant_that_changes_nothing_is_recognised(tmp_path):
    from accelgen import load_config
    design = load_config("default")
    baseline, mutants = mutation.plan(design, "gemm", tmp_path, 10, 1)
    # mutant 7 of this sample sets bit 0 of the accumulator's clear value, 22'h0, to 0
    assert mutants[6].words.startswith("bit 0 of $procmux") and "stuck at 0" in mutants[6].words
    same = mutation.mutant_netlist(design, "gemm", tmp_path, mutants[6])
    other = mutation.mutant_netlist(design, "gemm", tmp_path, mutants[0])
    assert same.read_text() == baseline.read_text() != other.read_text()
