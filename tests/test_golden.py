"""Golden models against plain loops, the wrap semantics and the quantization error."""

import numpy as np
import pytest

from accelgen import AccelgenError
from accelgen.golden.integers import check_range, wrap
from accelgen.golden.systolic import (float_reference, output_stationary_tile,
                                      weight_stationary_vectors)
from accelgen.systolic_config import Dataflow, SystolicConfig


def loop_tile(a, w, bits, signed):
    rows, cols = a.shape[1], w.shape[1]
    out = np.zeros((rows, cols), dtype=object)
    for k in range(len(a)):
        for i in range(rows):
            for j in range(cols):
                out[i, j] += int(a[k, i]) * int(w[k, j])
    modulus = 1 << bits
    out = out % modulus
    if signed:
        out = np.where(out >= modulus // 2, out - modulus, out)
    return out.astype(np.int64)


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("accumulator_bits", [None, 17])
def test_output_stationary_matches_loops(signed, accumulator_bits):
    config = SystolicConfig(rows=3, cols=5, activation_bits=6, weight_bits=4, signed=signed,
                            max_depth=64, accumulator_bits=accumulator_bits)
    rng = np.random.default_rng(7)
    a = rng.integers(*config.activation_range, endpoint=True, size=(40, 3))
    w = rng.integers(*config.weight_range, endpoint=True, size=(40, 5))
    expected = loop_tile(a, w, config.accumulator_width, signed)
    np.testing.assert_array_equal(output_stationary_tile(config, a, w), expected)


def test_extreme_values_do_not_wrap_at_max_depth():
    config = SystolicConfig(rows=1, cols=1, max_depth=4096)
    a = np.full((4096, 1), -128)
    tile = output_stationary_tile(config, a, a)
    assert tile[0, 0] == 4096 * 128 * 128


def test_weight_stationary_is_a_times_w():
    config = SystolicConfig(rows=4, cols=3, dataflow=Dataflow.WEIGHT_STATIONARY)
    rng = np.random.default_rng(3)
    weights = rng.integers(-128, 128, size=(4, 3))
    a = rng.integers(-128, 128, size=(9, 4))
    np.testing.assert_array_equal(weight_stationary_vectors(config, weights, a), a @ weights)


def test_wrap():
    np.testing.assert_array_equal(wrap(np.array([127, 128, -129, 255]), 8, True),
                                  [127, -128, 127, -1])
    np.testing.assert_array_equal(wrap(np.array([256, -1]), 8, False), [0, 255])


def test_out_of_range_operands_are_refused():
    config = SystolicConfig(activation_bits=4)
    with pytest.raises(AccelgenError, match=r"activations: values must be signed 4-bit \(-8..7\)"):
        output_stationary_tile(config, np.full((2, 4), 8), np.zeros((2, 4), dtype=int))
    with pytest.raises(AccelgenError, match="must be integers"):
        check_range(np.zeros(3), 8, True, "a")


def test_int8_quantization_error_is_small_and_int4_larger():
    rng = np.random.default_rng(11)
    a, w = rng.normal(size=(16, 64)), rng.normal(size=(64, 16))
    errors = {}
    for bits in (8, 4):
        quantized, exact = float_reference(a, w, bits, bits)
        errors[bits] = np.abs(quantized - exact).max() / np.abs(exact).max()
    assert errors[8] < 0.02
    assert errors[8] < errors[4] < 0.5     # per-tensor INT4 on Gaussian data: ~0.35
