"""Stream payload layouts of the systolic array, derived from its config.

With an ``olive`` operand, elements are 4-bit OVP codes, and a beat holds whole pairs:
where pairs lie across beats (output-stationary operands, weight-stationary weight rows)
a beat carries two reduction steps, lane i's step 2t + s in element 2i + s (both
operands, so that an integer partner keeps pace); where they lie within a beat (the
weight-stationary activation vector) the vector is padded to even length.
"""

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

from accelgen.formats.olive_codes import MANTISSA_BITS, SHIFT_BITS
from accelgen.systolic_config import OliveProducts, SystolicConfig


def _shape(bits: int, is_signed: bool):
    return signed(bits) if is_signed else unsigned(bits)


#: an OVP value as the pair decoders give it to a PE: mantissa << shift
OVP_OPERAND = data.StructLayout({"mantissa": signed(MANTISSA_BITS),
                                 "shift": unsigned(SHIFT_BITS)})


def _element_shape(config: SystolicConfig, which: str):
    """One element of an operand stream: an integer, or a 4-bit code."""
    return unsigned(4) if config.olive(which) else \
        _shape(getattr(config, f"{which}_bits"), config.signed)


def _shifts(config: SystolicConfig, which: str) -> bool:
    """Whether PEs take the operand as an OVP (mantissa, shift) and shift the product."""
    return config.olive(which) and config.olive_products is OliveProducts.SHIFT


def _operand_shape(config: SystolicConfig, which: str):
    """What a PE takes of an operand: an OVP (mantissa, shift), or an integer."""
    return OVP_OPERAND if _shifts(config, which) else multiplicand_shape(config, which)


def multiplicand_shape(config: SystolicConfig, which: str):
    """What a PE's multiplier takes of an operand: an OVP value's mantissa (the product
    is shifted by the exponents) or its integer, or the operand's integer."""
    if config.olive(which):
        return signed(config.multiplier_bits(which))
    return _element_shape(config, which)


def activation_shape(config: SystolicConfig):
    return _operand_shape(config, "activation")


def weight_shape(config: SystolicConfig):
    return _operand_shape(config, "weight")


def _lanes(config: SystolicConfig, which: str, count: int, steps: int):
    return data.ArrayLayout(_element_shape(config, which), count * steps)


def accumulator_shape(config: SystolicConfig):
    return _shape(config.accumulator_width, config.signed)


def operand_layout(config: SystolicConfig) -> data.StructLayout:
    """Output-stationary input beat: column k of A and row k of W."""
    return data.StructLayout({
        "a": _lanes(config, "activation", config.rows, config.beat_steps),
        "w": _lanes(config, "weight", config.cols, config.beat_steps),
        "last": 1,
    })


def weight_row_layout(config: SystolicConfig) -> data.StructLayout:
    """Weight-stationary tile load beat: one row of the rows x cols weight tile (two
    with olive weights)."""
    return data.StructLayout({
        "w": _lanes(config, "weight", config.cols, config.beat_steps),
        "last": 1,
    })


def activation_layout(config: SystolicConfig) -> data.StructLayout:
    """Weight-stationary input beat: one activation vector of length rows (olive: padded
    to whole pairs)."""
    paired = config.olive("activation")
    return data.StructLayout({
        "a": _lanes(config, "activation", config.rows + (config.rows % 2 if paired else 0), 1),
        "last": 1,
    })


def operand_step_layout(config: SystolicConfig) -> data.StructLayout:
    """One output-stationary reduction step inside the array: the decoded operands."""
    return data.StructLayout({
        "a": data.ArrayLayout(activation_shape(config), config.rows),
        "w": data.ArrayLayout(weight_shape(config), config.cols),
        "last": 1,
    })


def weight_step_layout(config: SystolicConfig) -> data.StructLayout:
    """One weight-stationary tile row inside the array: the decoded weights."""
    return data.StructLayout({
        "w": data.ArrayLayout(weight_shape(config), config.cols),
        "last": 1,
    })


def result_layout(config: SystolicConfig) -> data.StructLayout:
    """Result beat: one row of the output tile (OS) or one output vector (WS)."""
    return data.StructLayout({
        "y": data.ArrayLayout(accumulator_shape(config), config.cols),
        "last": 1,
    })


def input_layouts(config: SystolicConfig) -> dict:
    """Input stream name → payload layout, for the dataflow the config selects."""
    if config.output_stationary:
        return {"operands": operand_layout(config)}
    return {"weights": weight_row_layout(config), "activations": activation_layout(config)}


def output_layouts(config: SystolicConfig) -> dict:
    return {"result": result_layout(config)}


def stream_signature(config: SystolicConfig) -> dict:
    """The component signature members: every stream of the unit."""
    from .streams import stream_signature as signature
    return signature(input_layouts(config), output_layouts(config))
