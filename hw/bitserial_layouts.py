"""Stream payload layouts of the bit-serial unit, derived from its config."""

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

from accelgen.bitserial_config import SCALE_BITS, BitSerialConfig


def weight_layout(config: BitSerialConfig) -> data.StructLayout:
    """Weight beat: one chunk (``lanes`` consecutive columns) of ``pes`` rows; code
    [p·lanes + l] is row p's weight in lane l. The first beat of a group also gives
    each row's datatype selector and scale (later beats' are ignored). ``last`` ends the
    matrix, and with it the job on the current vector."""
    return data.StructLayout({
        "codes": data.ArrayLayout(unsigned(config.code_bits), config.pes * config.lanes),
        "datatype": data.ArrayLayout(unsigned(config.selector_bits), config.pes),
        "scale": data.ArrayLayout(unsigned(SCALE_BITS), config.pes),
        "last": 1,
    })


def activation_layout(config: BitSerialConfig) -> data.StructLayout:
    """Activation beat: ``lanes`` elements of x; ``last`` ends the vector (the sender
    zero-pads the final beat)."""
    return data.StructLayout({
        "x": data.ArrayLayout(signed(config.activation_bits), config.lanes),
        "last": 1,
    })


def result_layout(config: BitSerialConfig) -> data.StructLayout:
    """Result beat: one row block's outputs; ``last`` on the matrix's final block."""
    return data.StructLayout({
        "y": data.ArrayLayout(signed(config.output_bits), config.pes),
        "last": 1,
    })


def input_layouts(config: BitSerialConfig) -> dict:
    return {"weights": weight_layout(config), "activations": activation_layout(config)}


def output_layouts(config: BitSerialConfig) -> dict:
    return {"result": result_layout(config)}
