"""Formal proofs with SymbiYosys: every kind's stream contract on its minimum config
(bounded model check from reset), the shared parts by k-induction, and a unit with each
kind of contract breach, which the proof must catch and name."""

import pytest
from amaranth.hdl import Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from accelgen.config import single_unit_design
from accelgen.registry import UNIT_KINDS
from accelgen.sim.formal import PROOF_CONFIGS, StreamContract, prove, prove_unit
from accelgen.sim.formal_parts import SHARED_PART_PROOFS, BankHandoverSpec
from accelgen.unit import taken_last

from .conftest import case_design

pytestmark = pytest.mark.slow


def proof_design(kind: str):
    """The design each kind's proof runs on: its minimum test config, or smaller where
    that one takes minutes (bench/benchmarks.py's formal section uses the same)."""
    settings = PROOF_CONFIGS.get(kind)
    if settings is None:
        return case_design(kind, "minimum")
    return single_unit_design("proof", "u", kind, source=f"{kind}:proof", **settings), "u"


# The KV buffer's appends take 23 cycles even at its smallest, and its proof to the
# default depth (37) minutes: the suite checks it to 20 cycles, where the progress bound
# cannot yet run out; the formal section of BENCHMARKS.md has the full depth.
SUITE_DEPTHS = {"kv_buffer": 20}


@pytest.mark.parametrize("kind", list(UNIT_KINDS))
def test_every_kind_keeps_the_stream_contract(kind, tmp_path):
    design, unit = proof_design(kind)
    result, _ = prove_unit(design, unit, tmp_path, SUITE_DEPTHS.get(kind))
    assert result.passed, result.summary()


@pytest.mark.parametrize("spec", [spec for *_, spec in SHARED_PART_PROOFS],
                         ids=[test_id for test_id, *_ in SHARED_PART_PROOFS])
def test_shared_part_is_proved_for_every_cycle(spec, tmp_path):
    result = prove(spec(), tmp_path, depth=8, mode="prove")
    assert result.passed, result.summary()


def test_a_single_bank_cannot_take_its_occupy_a_cycle_late(tmp_path):
    """Why the weight-stationary array, which raises ``occupy`` a cycle after a tile's
    last row, has two banks: with one, the loader would take the next tile's first row
    into the bank the job is about to use."""
    result = prove(BankHandoverSpec(banks=1, occupy_delay=1), tmp_path, depth=8,
                   mode="prove")
    assert not result.passed
    assert repr("a tile loads only into a bank its last job let go of") in result.failure


class Relay(wiring.Component):
    """A one-beat stream buffer, correct or with one flaw."""

    def __init__(self, flaw: str | None = None):
        layout = data.StructLayout({"x": 4, "last": 1})
        super().__init__({"operands": In(stream.Signature(layout)),
                          "result": Out(stream.Signature(layout))})
        self.flaw = flaw

    def elaborate(self, platform):
        m = Module()
        full = Signal(init=self.flaw == "early")
        again = Signal()          # "twice": the held beat goes out once more
        toggle = Signal()
        m.d.sync += toggle.eq(~toggle)
        sending = {"drops": full & ~toggle, "stuck": 0}.get(self.flaw, full)
        m.d.comb += [self.result.valid.eq(sending),
                     self.operands.ready.eq(~full | (self.result.valid & self.result.ready &
                                                     ~again))]
        with m.If(self.operands.valid & self.operands.ready):
            m.d.sync += [full.eq(1), self.result.payload.eq(self.operands.payload)]
            if self.flaw == "twice":
                m.d.sync += again.eq(self.operands.payload.last)
        with m.Elif(self.result.valid & self.result.ready):
            m.d.sync += [full.eq(again), again.eq(0)]
        return m


@pytest.mark.parametrize("flaw, broken_claim", [
    (None, None),
    ("early", "result: nothing sent during or right after reset"),
    ("drops", "result: valid held until ready"),
    ("twice", "result: no more job ends than jobs"),
    ("stuck", "a unit owing results stalls"),
])
def test_a_contract_breach_is_caught_and_named(flaw, broken_claim, tmp_path):
    relay = Relay(flaw)
    contract = StreamContract(relay, job_end=lambda m: taken_last(relay.operands),
                              ready_every=3, patience=6)
    result = prove(contract, tmp_path, depth=12)
    assert result.passed == (flaw is None), result.summary()
    if broken_claim is not None:
        assert repr(broken_claim) in result.failure
        assert "trace" in result.failure


def test_prove_command_proves_each_unit_and_refuses_a_bad_depth(cli, write_config,
                                                                 monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    path = write_config("name: tiny\nunits:\n"
                        "  a: {kind: systolic, rows: 1, cols: 1, activation_bits: 2,"
                        " weight_bits: 2, max_depth: 4}\n"
                        "  b: {kind: systolic, rows: 1, cols: 2, dataflow: weight_stationary,"
                        " activation_bits: 2, weight_bits: 2}\n")
    code, out, err = cli("prove", path, "--unit", "a", "--depth", "20")
    assert code == 0, err
    assert out.startswith("a: PASS: bounded model check, depth 20, ")
    assert "progress bound 17 cycles" in out and "b:" not in out
    assert (tmp_path / "build" / "tiny" / "prove" / "a" / "sby.log").is_file()
    code, _, err = cli("prove", path, "--depth", "3")
    assert code == 2 and err == "error: --depth: must be 4..200, got 3\n"
    code, _, err = cli("prove", path, "--unit", "c")
    assert code == 2 and "c" in err
