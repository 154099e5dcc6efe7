"""The adder at the level of stream beats."""

from amaranth.hdl import signed
from amaranth.lib import data

from accelgen.payload import pack, unpack


def input_layouts(config) -> dict:
    operand = signed(config.width)
    return {"operands": data.StructLayout({"a": operand, "b": operand, "last": 1})}


def output_layouts(config) -> dict:
    return {"result": data.StructLayout({"y": signed(config.width + 1), "last": 1})}


def reference_beats(config, stimulus: dict) -> dict:
    beats = unpack(input_layouts(config)["operands"], stimulus["operands"])
    return {"result": pack(output_layouts(config)["result"],
                           {"y": beats["a"] + beats["b"], "last": beats["last"]})}
