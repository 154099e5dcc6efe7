import numpy as np

from accelgen.hw.systolic_layouts import operand_layout, result_layout
from accelgen.payload import pack, unpack
from accelgen.systolic_config import SystolicConfig


def test_pack_unpack_round_trip_matches_amaranth_layout():
    from amaranth.hdl import Const
    config = SystolicConfig(rows=3, cols=2, activation_bits=5, weight_bits=3)
    layout = operand_layout(config)
    a = np.array([[-16, 15, -1]])
    w = np.array([[3, -4]])
    word, = pack(layout, {"a": a, "w": w, "last": [1]})
    # the same bits as Amaranth's own constant of that layout
    reference = layout.const({"a": [-16, 15, -1], "w": [3, -4], "last": 1})
    assert word == Const.cast(reference).value
    back = unpack(layout, [word])
    np.testing.assert_array_equal(back["a"], a)
    np.testing.assert_array_equal(back["w"], w)
    assert back["last"].tolist() == [1]


def test_unsigned_fields_stay_unsigned():
    config = SystolicConfig(rows=1, cols=2, signed=False)
    layout = result_layout(config)
    top = (1 << config.accumulator_width) - 1
    words = pack(layout, {"y": [[top, 0]], "last": [0]})
    assert unpack(layout, words)["y"].tolist() == [[top, 0]]


def test_fields_wider_than_64_bits_round_trip():
    from amaranth.lib import data
    layout = data.StructLayout({"data": 512, "last": 1})
    word = (1 << 511) | 12345
    words = pack(layout, {"data": [word, 7], "last": [1, 0]})
    assert words == [word | 1 << 512, 7]
    back = unpack(layout, words)
    assert back["data"].tolist() == [word, 7] and back["last"].tolist() == [1, 0]
