"""Built-in self-test: drives a unit with pseudo-random jobs and checks a signature of
its results against the one the golden model computed at build time."""

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from accelgen.registry import UNIT_KINDS

from .selftest_model import SIGNATURE_INIT, chunk_seed, signature, stimulus_words


def _xorshift32(state):
    state = state ^ (state << 13)[:32]
    state = state ^ (state >> 17)
    return state ^ (state << 5)[:32]


def _last_offset(layout) -> int:
    return dict((name, field.offset) for name, field in layout)["last"]


class SelfTestPlan:
    """What the self-test sends (per input stream: beats per frame, frames) and the
    signature the unit's golden model says comes back."""

    def __init__(self, config):
        kind = UNIT_KINDS[config.kind]
        beats = kind.reference()
        self.config = config
        self.inputs = beats.input_layouts(config)
        self.outputs = beats.output_layouts(config)
        assert len(self.outputs) == 1, "the self-test signs one result stream"
        self.frames = kind.selftest_frames(config)
        stimulus = {}
        for index, (port, layout) in enumerate(self.inputs.items()):
            frame, frames = self.frames[port]
            stimulus[port] = stimulus_words(index, layout.size, _last_offset(layout),
                                            frame, frame * frames)
        (self.result_port, layout), = self.outputs.items()
        self.result_words = beats.reference_beats(config, stimulus)[self.result_port]
        self.signature = signature(self.result_words, layout.size)


class SelfTest(wiring.Component):
    """The unit under test plus its stimulus generators and signature checker.

    ``done`` rises when every expected result beat has arrived; ``passed`` then says
    whether the signature matched ``expected`` (the plan's, unless overridden: a test
    gives a wrong one to show the check can fail).
    """

    done: Out(1)
    passed: Out(1)
    result_signature: Out(32)

    def __init__(self, plan: SelfTestPlan, expected: int | None = None):
        self._plan = plan
        self._expected = plan.signature if expected is None else expected
        super().__init__()

    def elaborate(self, platform):
        plan = self._plan
        m = Module()
        m.submodules.unit = unit = UNIT_KINDS[plan.config.kind].component(plan.config)

        for index, (port, layout) in enumerate(plan.inputs.items()):
            frame, frames = plan.frames[port]
            stream = getattr(unit, port)
            chunks = (layout.size + 31) // 32
            states = [Signal(32, init=chunk_seed(index, chunk), name=f"{port}_rng{chunk}")
                      for chunk in range(chunks)]
            in_frame = Signal(range(frame), name=f"{port}_beat")
            remaining = Signal(range(frame * frames + 1), init=frame * frames,
                               name=f"{port}_remaining")
            payload = Signal(layout.size, name=f"{port}_bits")
            last = _last_offset(layout)
            m.d.comb += [payload.eq(Cat(*states)[:layout.size]),
                         stream.valid.eq(remaining != 0)]
            bits = [payload[bit] for bit in range(layout.size)]
            bits[last] = in_frame == frame - 1
            m.d.comb += stream.payload.eq(Cat(*bits))
            with m.If(stream.valid & stream.ready):
                m.d.sync += [state.eq(_xorshift32(state)) for state in states]
                m.d.sync += [remaining.eq(remaining - 1),
                             in_frame.eq(0 if frame == 1 else in_frame + 1)]
                with m.If(in_frame == frame - 1):
                    m.d.sync += in_frame.eq(0)

        # Results: a pseudo-random ready (75%) exercises back-pressure on the board too.
        result = getattr(unit, plan.result_port)
        stall = Signal(32, init=0x1234_5679)
        m.d.sync += stall.eq(_xorshift32(stall))
        expected_beats = len(plan.result_words)
        received = Signal(range(expected_beats + 1))
        m.d.comb += result.ready.eq((stall[:2] != 0) & (received != expected_beats))
        width = len(result.payload.as_value())
        folded = Const(0, 32)
        for chunk in range(0, width, 32):
            folded = folded ^ result.payload.as_value()[chunk:chunk + 32]
        value = Signal(32, init=SIGNATURE_INIT)
        with m.If(result.valid & result.ready):
            m.d.sync += [value.eq(Cat(value[31], value[:31]) ^ folded),
                         received.eq(received + 1)]
        m.d.comb += [self.result_signature.eq(value),
                     self.done.eq(received == expected_beats),
                     self.passed.eq(value == self._expected)]
        return m
