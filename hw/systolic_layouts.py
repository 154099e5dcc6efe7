"""Stream payload layouts of the systolic array, derived from its config."""

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

from accelgen.systolic_config import SystolicConfig


def _shape(bits: int, is_signed: bool):
    return signed(bits) if is_signed else unsigned(bits)


def activation_shape(config: SystolicConfig):
    return _shape(config.activation_bits, config.signed)


def weight_shape(config: SystolicConfig):
    return _shape(config.weight_bits, config.signed)


def accumulator_shape(config: SystolicConfig):
    return _shape(config.accumulator_width, config.signed)


def operand_layout(config: SystolicConfig) -> data.StructLayout:
    """Output-stationary input beat: column k of A and row k of W."""
    return data.StructLayout({
        "a": data.ArrayLayout(activation_shape(config), config.rows),
        "w": data.ArrayLayout(weight_shape(config), config.cols),
        "last": 1,
    })


def weight_row_layout(config: SystolicConfig) -> data.StructLayout:
    """Weight-stationary tile load beat: one row of the rows x cols weight tile."""
    return data.StructLayout({
        "w": data.ArrayLayout(weight_shape(config), config.cols),
        "last": 1,
    })


def activation_layout(config: SystolicConfig) -> data.StructLayout:
    """Weight-stationary input beat: one activation vector of length rows."""
    return data.StructLayout({
        "a": data.ArrayLayout(activation_shape(config), config.rows),
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
