"""Stream payload layouts of the ternary unit, derived from its config."""

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

from accelgen.ternary_config import SCALE_BITS, TernaryConfig


def activation_shape(config: TernaryConfig):
    return signed(config.activation_bits)


def output_shape(config: TernaryConfig):
    return signed(config.output_bits)


def weight_layout(config: TernaryConfig) -> data.StructLayout:
    """Weight load beat: one packed word. The first beat of a load also gives the
    matrix shape (rows, or the hidden size with the MLGRU; cols) and the weight scale."""
    return data.StructLayout({
        "data": unsigned(config.word_bits),
        "rows": unsigned(config.max_rows.bit_length()),
        "cols": unsigned(config.max_cols.bit_length()),
        "scale": unsigned(SCALE_BITS),
        "last": 1,
    })


def activation_layout(config: TernaryConfig) -> data.StructLayout:
    """Activation beat: lanes_in elements of x. The first beat of a vector also gives the
    activation scale, ``start`` (MLGRU: h_prev = 0) and ``final`` (the last vector on
    these weights); ``last`` ends the vector."""
    return data.StructLayout({
        "x": data.ArrayLayout(activation_shape(config), config.lanes_in),
        "scale": unsigned(SCALE_BITS),
        "start": 1,
        "final": 1,
        "last": 1,
    })


def result_layout(config: TernaryConfig) -> data.StructLayout:
    """Result beat: lanes_out rescaled outputs (y, or o of the MLGRU cell)."""
    return data.StructLayout({
        "y": data.ArrayLayout(output_shape(config), config.lanes_out),
        "last": 1,
    })


def input_layouts(config: TernaryConfig) -> dict:
    return {"weights": weight_layout(config), "activations": activation_layout(config)}


def output_layouts(config: TernaryConfig) -> dict:
    return {"result": result_layout(config)}
