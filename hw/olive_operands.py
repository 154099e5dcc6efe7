"""OVP-4 operands in the PE array (docs/olive.md): pair decoders at the array's edge,
beats of two reduction steps split into one step a cycle, and products shifted by the
operands' exponents. Integer operands pass through every part unchanged."""

from amaranth.hdl import Cat, Module, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from accelgen.systolic_config import SystolicConfig

from .dsp import PRODUCT_LATENCY
from .olive_decoder import OvpPairDecoder
from .pipeline import delay
from .systolic_layouts import OVP_OPERAND, activation_shape, weight_shape


def decoded_elements(m, config: SystolicConfig, which: str, lanes, *, name: str) -> list:
    """The ``activation`` or ``weight`` elements of a stream field as a PE takes them:
    OVP codes decoded pair by pair (elements 2p and 2p + 1 are a pair, one decoder each)
    to (mantissa, shift) or to the integer (``olive_products``), integers as they are."""
    if not config.olive(which):
        return [lanes[k] for k in range(len(lanes))]
    shape = activation_shape(config) if which == "activation" else weight_shape(config)
    elements = []
    for pair in range(len(lanes) // 2):
        decoder = m.submodules[f"{name}_pair{pair}"] = OvpPairDecoder(config.olive_normal.value)
        m.d.comb += decoder.pair.eq(Cat(lanes[2 * pair], lanes[2 * pair + 1]))
        for slot in range(2):
            value = Signal(shape, name=f"{name}{2 * pair + slot}")
            mantissa, shift = decoder.mantissa[slot], decoder.shift[slot]
            if shape == OVP_OPERAND:
                m.d.comb += [value.mantissa.eq(mantissa), value.shift.eq(shift)]
            else:   # olive_products: integer, formed here once per lane
                m.d.comb += value.eq(mantissa << shift)
            elements.append(value)
    return elements


def lane_steps(elements: list, steps: int) -> list[list]:
    """Per step, every lane's element of a beat of ``steps`` steps (lane i's step s is
    element steps·i + s)."""
    return [elements[step::steps] for step in range(steps)]


class StepPairs(wiring.Component):
    """Beats of two reduction steps to beats of one: ``steps[0]``, then ``steps[1]``
    (their ``last`` fields as the array set them), one a cycle; a beat with ``whole`` set
    ends after its first step (the second is padding past a weight tile of odd rows).

    Parameters
    ----------
    step_layout : StructLayout
        One step's payload.
    """

    def __init__(self, step_layout: data.StructLayout):
        super().__init__({
            "sink": In(stream.Signature(data.StructLayout({
                "steps": data.ArrayLayout(step_layout, 2), "whole": 1}))),
            "source": Out(stream.Signature(step_layout))})

    def elaborate(self, platform):
        m = Module()
        second = Signal()   # the beat's first step has been taken
        ends = second | self.sink.payload.whole
        m.d.comb += [self.source.valid.eq(self.sink.valid),
                     self.source.payload.eq(self.sink.payload.steps[second]),
                     self.sink.ready.eq(self.source.ready & ends)]
        with m.If(self.source.valid & self.source.ready):
            m.d.sync += second.eq(~ends)
        return m


_OPERANDS = {"a": "activation", "w": "weight"}


def single_steps(m, config: SystolicConfig, port, step_layout, *, whole=0):
    """An input stream whose beats carry ``config.beat_steps`` reduction steps as a
    stream of single decoded steps (``step_layout``): the port itself where beats carry
    one step of integers. ``whole``: the beat ends after its first step (StepPairs)."""
    fields = [name for name in _OPERANDS if name in step_layout.members]
    if not any(config.olive(_OPERANDS[name]) for name in fields):
        return port
    pairs = m.submodules[f"{fields[-1]}_step_pairs"] = StepPairs(step_layout)
    steps = pairs.sink.payload.steps
    for name in fields:
        elements = decoded_elements(m, config, _OPERANDS[name], port.payload[name],
                                    name=f"{name}_code")
        for step, lanes in enumerate(lane_steps(elements, 2)):
            m.d.comb += [steps[step][name][lane].eq(value)
                         for lane, value in enumerate(lanes)]
    m.d.comb += [steps[0].last.eq(port.payload.last & whole),
                 steps[1].last.eq(port.payload.last),
                 pairs.sink.payload.whole.eq(whole),
                 pairs.sink.valid.eq(port.valid), port.ready.eq(pairs.sink.ready)]
    return pairs.source


def multiplicand(operand):
    """What the multiplier takes of an operand: an OVP value's mantissa, or the integer."""
    return operand.mantissa if operand.shape() == OVP_OPERAND else operand


def shifted_product(m, config: SystolicConfig, product, a, b, *, name: str):
    """``product`` (the multiplier's, PRODUCT_LATENCY after ``a`` and ``b``) shifted left
    by the operands' exponents, delayed to match: the exact a·b."""
    exponents = [operand.shift for operand in (a, b) if operand.shape() == OVP_OPERAND]
    if not exponents:
        return product
    shift = delay(m, sum(exponents[1:], exponents[0]), PRODUCT_LATENCY, name=f"{name}_shift")
    exact = Signal(signed(config.product_bits), name=f"{name}_shifted")
    m.d.comb += exact.eq((product << shift)[:config.product_bits])
    return exact
