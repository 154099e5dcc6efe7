"""Config loading: defaults, presets, and one clear line for every kind of bad config."""

import dataclasses

import pytest
import yaml

from accelgen import AccelgenError, load_config
from accelgen.config import parse_design
from accelgen.registry import UNIT_KINDS
from accelgen.systolic_config import Dataflow, SystolicConfig

from .conftest import CONFIGS


def test_embedded_default_has_a_systolic_unit():
    design = load_config()
    assert design.name == "accelgen_default"
    gemm = design.units["gemm"]
    assert isinstance(gemm, SystolicConfig)
    assert (gemm.rows, gemm.cols, gemm.activation_bits, gemm.weight_bits) == (4, 4, 8, 4)


@pytest.mark.parametrize("preset", sorted(p.name for p in CONFIGS.glob("*.yaml")))
def test_presets_load(preset):
    assert load_config(CONFIGS / preset).units


def test_defaults_fill_missing_keys():
    design = parse_design({"name": "d", "units": {"u": {"kind": "systolic"}}}, "x.yaml")
    assert design.units["u"] == SystolicConfig()


def test_derived_accumulator_never_wraps():
    config = SystolicConfig(activation_bits=8, weight_bits=8, max_depth=256)
    # 256 products of -128 * -128 = 2^22, which needs 24 bits with its sign
    assert config.accumulator_width == 8 + 8 + 8
    assert not config.wraps
    assert SystolicConfig(max_depth=1).accumulator_width == 16
    assert SystolicConfig(dataflow=Dataflow.WEIGHT_STATIONARY, rows=5).accumulator_width == 19
    assert SystolicConfig(accumulator_bits=20, max_depth=1024).wraps


def test_resolved_config_round_trips():
    design = load_config()
    again = parse_design(design.to_dict(), "again")
    assert again.units == design.units


BAD_CONFIGS = [
    ("unknown top-level key", "name: d\nunit:\n  u: {kind: systolic}\n",
     "unit: unknown key; did you mean 'units'?"),
    ("missing name", "units:\n  u: {kind: systolic}\n", "name: missing"),
    ("name not an identifier", "name: my design\nunits:\n  u: {kind: systolic}\n",
     "name: must be an identifier"),
    ("no units", "name: d\nunits: {}\n", "units: must be a mapping"),
    ("missing kind", "name: d\nunits:\n  u: {rows: 2}\n", "units.u.kind: missing"),
    ("unknown kind", "name: d\nunits:\n  u: {kind: systolc}\n",
     "units.u.kind: unknown unit kind 'systolc'; did you mean 'systolic'?"),
    ("unknown unit key", "name: d\nunits:\n  u: {kind: systolic, row: 2}\n",
     "units.u.row: unknown key; did you mean 'rows'?"),
    ("wrong type", "name: d\nunits:\n  u: {kind: systolic, rows: four}\n",
     "units.u.rows: must be an integer, got 'four'"),
    ("bool for int", "name: d\nunits:\n  u: {kind: systolic, rows: true}\n",
     "units.u.rows: must be an integer, got True"),
    ("out of range", "name: d\nunits:\n  u: {kind: systolic, rows: 0}\n",
     "units.u.rows: must be an integer 1..64, got 0"),
    ("bits out of range", "name: d\nunits:\n  u: {kind: systolic, weight_bits: 9}\n",
     "units.u.weight_bits: must be an integer 2..8, got 9"),
    ("bad enum", "name: d\nunits:\n  u: {kind: systolic, dataflow: row_stationary}\n",
     "units.u.dataflow: must be one of output_stationary | weight_stationary"),
    ("inconsistent accumulator", "name: d\nunits:\n  u: {kind: systolic, accumulator_bits: 12}\n",
     "units.u.accumulator_bits: must be 16..48 (at least one full product), got 12"),
    ("string for bool", "name: d\nunits:\n  u: {kind: systolic, signed: 'yes'}\n",
     "units.u.signed: must be true or false"),
    ("ternary lanes", "name: d\nunits:\n  u: {kind: ternary, lanes_in: 65}\n",
     "units.u.lanes_in: must be an integer 1..64, got 65"),
    ("ternary packing", "name: d\nunits:\n  u: {kind: ternary, packing: 3bit}\n",
     "units.u.packing: must be one of 2bit | base3"),
    ("ternary activation bits", "name: d\nunits:\n  u: {kind: ternary, activation_bits: 3}\n",
     "units.u.activation_bits: must be an integer 4..8, got 3"),
    ("mlgru needs fraction bits",
     "name: d\nunits:\n  u: {kind: ternary, mlgru: true, scale_fraction_bits: 4}\n",
     "units.u.scale_fraction_bits: must be at least 5 with mlgru: true, got 4"),
    ("ternary output bits", "name: d\nunits:\n  u: {kind: ternary, output_bits: 9}\n",
     "units.u.output_bits: must be an integer 10..40"),
    ("ternary memory too large",
     "name: d\nunits:\n  u: {kind: ternary, max_rows: 4096, max_cols: 4096}\n",
     "units.u.max_rows: weight memory of"),
    ("bitserial bits per cycle", "name: d\nunits:\n  u: {kind: bitserial, bits_per_cycle: 3}\n",
     "units.u.bits_per_cycle: must be 1 or 2, got 3"),
    ("bitserial group size",
     "name: d\nunits:\n  u: {kind: bitserial, lanes: 8, group_size: 100}\n",
     "units.u.group_size: must be a multiple of lanes (8) up to 4096, got 100"),
    ("bitserial unknown datatype",
     "name: d\nunits:\n  u: {kind: bitserial, datatypes: [int4, fp5]}\n",
     "units.u.datatypes: unknown datatype 'fp5'; allowed: int2, int3, int4, int8, fp3, fp4"),
    ("bitserial datatypes not a list", "name: d\nunits:\n  u: {kind: bitserial, datatypes: int4}\n",
     "units.u.datatypes: must be a list of names, got 'int4'"),
    ("bitserial no datatype", "name: d\nunits:\n  u: {kind: bitserial, datatypes: []}\n",
     "units.u.datatypes: must list at least one of"),
    ("bitserial datatype twice",
     "name: d\nunits:\n  u: {kind: bitserial, datatypes: [fp4, fp4]}\n",
     "units.u.datatypes: lists a datatype twice"),
    ("bitserial output shift",
     "name: d\nunits:\n  u: {kind: bitserial, output_shift: 99}\n",
     "units.u.output_shift: must be an integer 0.."),
    ("kv bits", "name: d\nunits:\n  u: {kind: kv_buffer, kv_bits: 3}\n",
     "units.u.kv_bits: must be 4 or 8, got 3"),
    ("kv input bits", "name: d\nunits:\n  u: {kind: kv_buffer, input_bits: 32}\n",
     "units.u.input_bits: must be 8 (int8) or 16 (int16), got 32"),
    ("kv policy", "name: d\nunits:\n  u: {kind: kv_buffer, policy: lru}\n",
     "units.u.policy: must be one of none | window | sink_window, got 'lru'"),
    ("kv memory", "name: d\nunits:\n  u: {kind: kv_buffer, memory: dram}\n",
     "units.u.memory: must be one of bram | spram, got 'dram'"),
    ("kv sinks without the policy",
     "name: d\nunits:\n  u: {kind: kv_buffer, policy: window, sink_tokens: 4}\n",
     "units.u.sink_tokens: must be 0 unless policy is sink_window"),
    ("kv sinks fill the cache",
     "name: d\nunits:\n  u: {kind: kv_buffer, max_tokens: 8, sink_tokens: 8}\n",
     "units.u.sink_tokens: must be 1..7 (max_tokens - 1) with policy sink_window"),
    ("kv lanes wider than a head",
     "name: d\nunits:\n  u: {kind: kv_buffer, head_dim: 4, lanes: 8}\n",
     "units.u.lanes: must be at most head_dim (4), got 8"),
    ("kv heads", "name: d\nunits:\n  u: {kind: kv_buffer, heads: 0}\n",
     "units.u.heads: must be an integer 1..64, got 0"),
    ("olive weights with a width",
     "name: d\nunits:\n  u: {kind: systolic, weight_encoding: olive, weight_bits: 4}\n",
     "units.u.weight_bits: not used here: olive weights are 4-bit OVP codes"),
    ("olive unsigned", "name: d\nunits:\n  u: {kind: systolic, weight_encoding: olive, "
     "signed: false}\n", "units.u.signed: must be true with an olive operand"),
    ("olive one-row weight-stationary", "name: d\nunits:\n  u: {kind: systolic, "
     "activation_encoding: olive, rows: 1, dataflow: weight_stationary}\n",
     "units.u.rows: must be 2..64 for a weight-stationary array with an olive operand"),
    ("olive normal without olive", "name: d\nunits:\n  u: {kind: systolic, "
     "olive_normal: flint}\n", "units.u.olive_normal: not used here"),
    ("kind is a list", "name: d\nunits:\n  u: {kind: [systolic]}\n",
     "units.u.kind: unknown unit kind ['systolic']"),
    ("name with a trailing newline", 'name: "d\\n"\nunits:\n  u: {kind: systolic}\n',
     "name: must be an identifier"),
    ("unit name with a trailing newline", 'name: d\nunits:\n  "u\\n": {kind: systolic}\n',
     "unit names must be identifiers"),
    ("a unit given twice", "name: d\nunits:\n  u: {kind: systolic}\n  u: {kind: ternary}\n",
     "line 4: not valid YAML: 'u' is given twice in one mapping"),
    ("a key given twice", "name: d\nunits:\n  u: {kind: systolic, rows: 2, rows: 3}\n",
     "not valid YAML: 'rows' is given twice in one mapping"),
    ("not a mapping", "- just\n- a list\n", "the config must be a YAML mapping"),
    ("broken YAML", "name: d\nunits: [\n", "not valid YAML"),
]


@pytest.mark.parametrize("what,text,message", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_gives_one_line_and_exit_2(what, text, message, cli, write_config):
    path = write_config(text)
    with pytest.raises(AccelgenError, match=None) as error:
        load_config(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)
    code, out, err = cli("check", path)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", list(UNIT_KINDS))
def test_every_kind_names_its_bad_keys_and_values(kind, cli, write_config):
    """For every registered kind, from its config dataclass alone: a misspelt key gets
    a did-you-mean, and every key given a mapping names that key, on one line."""
    fields = [field.name for field in dataclasses.fields(UNIT_KINDS[kind].config_class)]
    cases = [({fields[0] + "x": 1}, f"units.u.{fields[0]}x: unknown key; did you mean "
                                     f"'{fields[0]}'?")]
    cases += [({field: {"a": 1}}, f"units.u.{field}: must be") for field in fields]
    for settings, message in cases:
        path = write_config(yaml.safe_dump({"name": "d",
                                            "units": {"u": {"kind": kind, **settings}}}))
        code, out, err = cli("check", path)
        assert code == 2 and out == "" and err.count("\n") == 1, err
        assert message in err, err


def test_missing_file(cli, tmp_path):
    code, _, err = cli("check", tmp_path / "nope.yaml")
    assert code == 2 and "config file not found" in err


def test_configs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_config().units["gemm"].rows = 3
