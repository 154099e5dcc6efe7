"""Property tests (hypothesis) at the edges: any config mapping either loads or raises
the project's error; accepted configs of modest size elaborate and pass Verilator's lint;
any command line ends in
0, 1 or 2, never a traceback. CI runs a few hundred examples; more with
ACCELGEN_FUZZ_EXAMPLES=3000."""

import dataclasses
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accelgen import AccelgenError
from accelgen.config import parse_design
from accelgen.registry import UNIT_KINDS

EXAMPLES = int(os.environ.get("ACCELGEN_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.integers(-2**70, 2**70), st.integers(-3, 70), st.booleans(),
                    st.none(), st.floats(allow_nan=True), st.text(max_size=12),
                    st.sampled_from(["2bit", "base3", "window", "none", "sink_window", "bram",
                                     "spram", "output_stationary", "weight_stationary",
                                     "int4", "fp4", "int8", "fp3", "int2", "int3", "olive",
                                     "flint", "int"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) |
                      st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)


@st.composite
def unit_settings(draw):
    """A unit mapping near a real kind's schema: its keys (and some others), any values."""
    kind = draw(st.sampled_from(list(UNIT_KINDS) + ["systolc", 7, None]))
    fields = [field.name for field in dataclasses.fields(UNIT_KINDS[kind].config_class)] \
        if kind in UNIT_KINDS else ["rows"]
    keys = draw(st.lists(st.sampled_from(fields + ["kind", "bogus", ""]), max_size=6,
                         unique=True))
    body = {key: draw(values) for key in keys}
    body["kind"] = kind
    return body


designs = st.fixed_dictionaries({
    "name": st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True), values),
    "units": st.one_of(st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True),
                                       unit_settings(), min_size=1, max_size=3), values),
}, optional={"host": values, "extra": values})


@FUZZ
@given(designs)
def test_any_config_loads_or_is_a_config_error(data):
    try:
        parse_design(data, "fuzz")
    except AccelgenError:
        pass


@st.composite
def small_unit(draw):
    """An accepted unit config of modest size (elaboration stays fast)."""
    kind = draw(st.sampled_from([name for name in UNIT_KINDS if name != "adder"]))
    small = {"systolic": {"rows": st.integers(1, 4), "cols": st.integers(1, 4),
                          "activation_bits": st.integers(2, 8),
                          "weight_bits": st.integers(2, 8), "signed": st.booleans(),
                          "dataflow": st.sampled_from(["output_stationary",
                                                       "weight_stationary"])},
             "ternary": {"lanes_in": st.integers(1, 4), "lanes_out": st.integers(1, 4),
                         "max_rows": st.integers(1, 16), "max_cols": st.integers(1, 16),
                         "packing": st.sampled_from(["2bit", "base3"]),
                         "mlgru": st.booleans()},
             "bitserial": {"pes": st.integers(1, 2), "lanes": st.sampled_from([1, 2, 4]),
                           "group_size": st.sampled_from([4, 8]),
                           "max_groups": st.integers(1, 3),
                           "datatypes": st.lists(st.sampled_from(["int2", "int3", "int4",
                                                                  "int8", "fp3", "fp4"]),
                                                 min_size=1, max_size=3, unique=True)},
             "kv_buffer": {"heads": st.integers(1, 2), "head_dim": st.integers(2, 8),
                           "lanes": st.integers(1, 2), "max_tokens": st.integers(2, 8),
                           "kv_bits": st.sampled_from([4, 8]),
                           "policy": st.sampled_from(["none", "window", "sink_window"])}}
    chosen = draw(st.fixed_dictionaries({}, optional=small[kind]))
    return {"kind": kind, **chosen}


@pytest.mark.slow
@settings(max_examples=max(12, EXAMPLES // 25), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(small_unit())
# found by this test: a one-word MLGRU state memory had a zero-width address ([-1:0]),
@example({"kind": "ternary", "max_rows": 1, "mlgru": True})
# and a one-chunk bit-serial row: a zero-width chunk index
@example({"kind": "bitserial", "group_size": 8, "pes": 1, "max_groups": 1})
def test_accepted_small_configs_elaborate_and_lint(unit):
    import tempfile
    from pathlib import Path

    from accelgen.generation import render_unit
    from accelgen.sim.lint import lint
    try:
        design = parse_design({"name": "fuzz", "units": {"u": unit}}, "fuzz")
    except AccelgenError:
        return
    verilog, manifest, _ = render_unit(design, "u")
    assert "module fuzz_u" in verilog and '"module": "fuzz_u"' in manifest
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "u.v"
        source.write_text(verilog)
        assert lint(source, "fuzz_u") == [], unit


words = st.sampled_from(["check", "list", "generate", "sim", "synth", "build", "serve",
                         "bench", "prove", "--depth", "mutate", "--count", "--budget",
                         "--unit", "--device", "--board", "--seed", "--simulator",
                         "--json", "--flow", "--port", "-o", "--selftest", "--program",
                         "--verilog", "-1", "0", "99999999999", "kv_cache", "nosuch.yaml",
                         "ecp5-85k", "icebreaker", "gemm", "icarus", "", "--", "-x"])


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(words, max_size=6))
def test_any_command_line_ends_cleanly(monkeypatch, tmp_path, argv):
    """Long runs are replaced by stubs (the same for every example): what is checked is
    the parsing and validation in front of them."""
    import accelgen.benchmark
    import accelgen.boards.build
    import accelgen.generation
    import accelgen.sim.formal
    import accelgen.sim.mutation
    import accelgen.sim.runner
    import accelgen.sim.serve
    import accelgen.synth.flow
    from accelgen.cli import main

    def stub(*args, **kwargs):
        raise AccelgenError("stubbed")
    for module, name in ((accelgen.sim.runner, "simulate"), (accelgen.synth.flow, "synthesize"),
                         (accelgen.boards.build, "build_board"), (accelgen.benchmark, "bench"),
                         (accelgen.sim.serve, "start_server"),
                         (accelgen.sim.formal, "prove_unit"), (accelgen.sim.mutation, "run"),
                         (accelgen.generation, "generate")):
        monkeypatch.setattr(module, name, stub)
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exit_info:      # --help, --version
        code = exit_info.code
    assert code in (0, 1, 2)
