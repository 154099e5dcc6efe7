"""OliVe's OVP-4 codec and quantizer (golden/olive.py): every code round-trips, the
quantizer matches a line-by-line port of the reference's, and the pair rules hold."""

import numpy as np
import pytest

from accelgen.errors import AccelgenError
from accelgen.formats.olive_codes import (MANTISSA_BITS, NORMAL_TYPES, SHIFT_BITS, VICTIM,
                                          decode_pair, split)
from accelgen.golden import olive

NORMALS = list(NORMAL_TYPES)


@pytest.mark.parametrize("normal", NORMALS)
def test_every_code_round_trips_and_every_pair_decodes(normal):
    datatype = NORMAL_TYPES[normal]
    assert len(datatype.normal_values) == 15 and len(datatype.outlier_values) == 14
    assert max(datatype.normal_values) < min(v for v in datatype.outlier_values if v > 0)
    for code in range(16):
        if code != VICTIM:
            assert datatype.code_of(datatype.decode(code), False) == code
        if code & 0b111:
            assert datatype.code_of(datatype.outlier(code), True) == code
    written = set()
    for low in range(16):
        for high in range(16):
            values = decode_pair(datatype, low, high)          # every pair is defined
            units = np.array([values])
            outliers = np.array([[low != VICTIM and high == VICTIM,
                                  high != VICTIM and low == VICTIM]])
            if (low == VICTIM and high == VICTIM) or \
                    (outliers.any() and values[int(outliers[0].argmax())] == 0):
                continue      # two markers, or an abfloat index 0: never written
            written.add((low, high))
            assert tuple(olive.encode(datatype, units, outliers)[0]) == (low, high)
    # 15 x 15 normal pairs, and 14 outliers on either side of a marker
    assert len(written) == 15 * 15 + 2 * 14


def test_abfloat_values_and_their_mantissa_shift_split():
    assert NORMAL_TYPES["int"].outlier_values[7:] == [12, 16, 24, 32, 48, 64, 96]
    assert NORMAL_TYPES["flint"].normal_values[7:] == [0, 1, 2, 3, 4, 6, 8, 16]
    assert NORMAL_TYPES["flint"].outlier_values[7:] == [24, 32, 48, 64, 96, 128, 192]
    for datatype in NORMAL_TYPES.values():
        for value in datatype.normal_values + datatype.outlier_values:
            mantissa, shift = split(value)
            assert mantissa << shift == value and -7 <= mantissa <= 7 and 0 <= shift <= 7
    assert (MANTISSA_BITS, SHIFT_BITS) == (4, 3)


def reference_forward(data, alpha, normal, no_outlier=False):
    """The reference's Quantizer._forward, ported line by line to numpy (one alpha per
    row; its grids in its own units)."""
    if normal == "int":
        grid = np.sort(np.array([0.] + [s * i for i in range(1, 8) for s in (1, -1)])) * 4
    else:
        grid = np.sort(np.array([0.] + [s * v for v in (0.25, 0.5, 0.75, 1, 1.5, 2, 4)
                                        for s in (1, -1)])) * 8
    outliers = np.sort(np.array([s * 2 ** i * (1 + 0.5 * j) for i in range(5, 9)
                                 for j in range(2) if not (i == 5 and j == 0)
                                 for s in (1, -1)]))
    scale = alpha / grid.max()
    data = data / scale[:, None]
    quant_grid = np.concatenate([grid, outliers])
    shape = data.shape
    flat = data.reshape(-1)
    quant = np.empty_like(flat)
    for index, x in enumerate(flat):           # the CUDA kernel: last point with <=
        best, value = 102400.0, 0.0
        for point in quant_grid:
            if abs(x - point) <= best:
                best, value = abs(x - point), point
        quant[index] = value
    mask = np.abs(quant) > 32
    victim_odd = np.roll(mask, 1)
    victim_odd[::2] = False
    victim_even = np.roll(mask & ~victim_odd, -1)
    victim_even[1::2] = False
    quant = quant * ~(victim_even | victim_odd)
    return quant.reshape(shape) * scale[:, None]


def reference_search(data, normal):
    """The reference's search_mse for per-channel weights (w_low 75, w_up 250)."""
    mean, std = data.mean(axis=1), data.std(axis=1, ddof=1)
    base = np.maximum(np.abs(mean + 3 * std), np.abs(mean - 3 * std))
    best, alpha = np.full(len(data), 1e10), base.copy()
    for percent in range(75, 250, 2):
        candidate = base * percent * 0.01
        score = ((reference_forward(data, candidate, normal) - data) ** 2).mean(axis=1)
        alpha[score < best] = candidate[score < best]
        best = np.minimum(best, score)
    return reference_forward(data, alpha, normal)


@pytest.mark.parametrize("normal", NORMALS)
def test_quantizer_matches_the_reference_port(normal):
    rng = np.random.default_rng(3)
    weights = rng.normal(0, 1, (6, 24))
    weights[:, 5] *= 12           # an outlier channel
    weights[2, 7] = -40           # and a pair of two outliers with it in row 2
    weights[2, 6] = 30
    made = olive.quantize(weights, normal, both_outliers="first")
    np.testing.assert_allclose(made.dequantize(), reference_search(weights, normal),
                               rtol=1e-12, atol=1e-12)


def test_pairs_keep_the_larger_outlier_and_prune_the_victim():
    weights = np.random.default_rng(2).normal(0, 1, (1, 2048))
    weights[0, :2] = [30, -40]     # two outliers: the larger (second) is kept
    weights[0, 2:4] = [25, 25]     # equal: the first is kept
    weights[0, 4:6] = [0.5, 30]    # one outlier: its normal partner is the victim
    made = olive.quantize(weights, "int", per_row=False)
    values = made.integers()[0]
    assert values[0] == 0 and values[1] < -7 and values[3] == 0 and values[2] > 7
    assert values[4] == 0 and values[5] > 7
    assert list(made.codes[0, [0, 3, 4]]) == [VICTIM] * 3
    first = olive.quantize(weights, "int", per_row=False, both_outliers="first")
    assert first.integers()[0, 1] == 0 and first.integers()[0, 0] > 7


def test_pack_unpack_and_odd_columns():
    rng = np.random.default_rng(5)
    weights = rng.normal(0, 1, (3, 7)) * np.array([1, 1, 9, 1, 1, 1, 20])
    made = olive.quantize(weights, "flint")
    assert made.codes.shape == (3, 8) and made.integers().shape == (3, 7)
    data = made.pack()
    assert len(data) == 3 * 4
    back = olive.unpack("flint", data, 3, 7, made.step)
    np.testing.assert_array_equal(back.integers(), made.integers())
    with pytest.raises(AccelgenError, match="OVP unpack: 11 bytes, expected 12"):
        olive.unpack("flint", data[:-1], 3, 7, made.step)
    activations = rng.integers(-128, 128, (4, 7))
    np.testing.assert_array_equal(olive.matmul(activations, made),
                                  activations @ made.integers().T)


def test_bad_inputs_are_one_clear_error():
    with pytest.raises(AccelgenError, match="normal must be one of int, flint, adaptive"):
        olive.quantize(np.ones((2, 2)), "fp4")
    with pytest.raises(AccelgenError, match="both_outliers must be larger or first"):
        olive.quantize(np.ones((2, 2)), "int", both_outliers="last")
    with pytest.raises(AccelgenError):
        olive.quantize(np.array([[1.0, np.nan]]), "int")


@pytest.mark.parametrize("normal", NORMALS)
def test_pair_decoder_gives_every_byte_its_golden_values(normal):
    """The PE array's pair decoder (hw/olive_decoder.py), all 256 bytes in Amaranth's
    simulator, against the code tables' decode_pair."""
    from amaranth.sim import Simulator

    from accelgen.hw.olive_decoder import OvpPairDecoder
    decoder = OvpPairDecoder(normal)
    seen = []

    async def bench(ctx):
        for byte in range(256):
            ctx.set(decoder.pair, byte)
            seen.append([ctx.get(decoder.mantissa[slot]) << ctx.get(decoder.shift[slot])
                         for slot in range(2)])

    simulator = Simulator(decoder)
    simulator.add_testbench(bench)
    simulator.run()
    expected = [list(decode_pair(NORMAL_TYPES[normal], byte & 0xF, byte >> 4))
                for byte in range(256)]
    assert seen == expected


def test_integers_encode_losslessly_and_refuse_what_is_no_pair():
    rng = np.random.default_rng(4)
    for name, normal in NORMAL_TYPES.items():
        encoded = olive.quantize(rng.standard_normal((6, 20)) * np.where(
            np.arange(20) % 7 == 2, 60, 1), name)
        values = encoded.integers()
        assert (np.abs(values) > max(normal.normal_values)).any()
        assert np.array_equal(olive.encode_values(normal, values, "W"), encoded.codes)
    normal = NORMAL_TYPES["int"]
    with pytest.raises(AccelgenError, match="W: an OVP pair .* beside a value other than 0"):
        olive.encode_values(normal, [[12, 1]], "W")
    with pytest.raises(AccelgenError, match=r"W: OVP-4 int values are .*; got \[8, 13\]"):
        olive.encode_values(normal, [[8, 0, 13, 0]], "W")


@pytest.mark.parametrize("dataflow", ["output_stationary", "weight_stationary"])
def test_stream_fields_and_step_values_are_inverse(dataflow):
    """A beat's lane i holds steps 2t, 2t + 1 in elements 2i, 2i + 1 (one byte a pair);
    an integer partner keeps pace the same way."""
    from accelgen.golden.systolic import operand_elements, operand_values
    from accelgen.systolic_config import SystolicConfig
    config = SystolicConfig(rows=3, cols=2, weight_encoding="olive", dataflow=dataflow)
    steps = config.beat_steps
    weights = olive.quantize(np.random.default_rng(1).standard_normal((2, 8)) *
                             [1, 50, 1, 1, 1, 1, 1, 1]).integers().T      # K=8 x cols=2
    elements = operand_elements(config, "weight", weights, steps)
    assert elements.shape == (8 // steps, 2 * steps)
    assert np.array_equal(operand_values(config, "weight", elements, steps), weights)
    # lane 0's first beat: the codes of W[0, 0] and W[1, 0], its first pair
    pair = olive.encode_values(config.olive_type, weights[:2, 0], "W")
    assert list(elements[0, :2]) == list(pair)
    a = np.arange(12).reshape(6, 2)        # integers beside: lane i, step s at 2i + s
    assert np.array_equal(operand_elements(config, "activation", a, 2)[0], [0, 2, 1, 3])
