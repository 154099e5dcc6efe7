"""Golden models of the ternary unit: the papers' quantizers, both weight packings, the
exact integer matrix-vector product, the BitLinear rescale and the fixed-point MLGRU
step, with float references beside them (no Amaranth here)."""

import numpy as np

from accelgen.errors import AccelgenError
from accelgen.formats.ternary_codes import (pack_2bit, pack_base3, sigmoid_table, unpack_2bit,
                                            unpack_base3)
from accelgen.ternary_config import SCALE_BITS, Packing, TernaryConfig

from .integers import check_range, finite_array, round_shift

# --- quantizers (BitNet b1.58 / MatMul-free LM) --------------------------------------

EPSILON = 1e-5


def absmean_ternary(weights: np.ndarray) -> tuple[np.ndarray, float]:
    """W ≈ γ·T: γ = mean|W|, T = clip(round(W / (γ + ε)), −1, +1)."""
    weights = finite_array(weights, "ternary weights")
    gamma = float(np.mean(np.abs(weights)))
    trits = np.clip(np.rint(weights / (gamma + EPSILON)), -1, 1).astype(np.int64)
    return trits, gamma


def absmax_quantize(x: np.ndarray, bits: int = 8) -> tuple[np.ndarray, float]:
    """x ≈ x_q · s / Q with Q = 2^(bits−1) − 1: s = max|x|, x_q = clip(round(x·Q/s))."""
    x = finite_array(x, "activations")
    if not (isinstance(bits, int) and 2 <= bits <= 16):
        raise AccelgenError(f"absmax_quantize: bits must be an integer 2..16, got {bits!r}")
    top = (1 << (bits - 1)) - 1
    s = float(np.max(np.abs(x))) or 1.0
    return np.clip(np.rint(x * top / s), -top - 1, top).astype(np.int64), s


def scale_code(value: float, fraction_bits: int) -> int:
    """A positive real scale as the unit's unsigned fixed-point scale field."""
    return int(np.clip(np.rint(value * (1 << fraction_bits)), 0, (1 << SCALE_BITS) - 1))


# --- packings ---------------------------------------------------------------------------

def pack_word(config: TernaryConfig, trits: np.ndarray) -> int:
    """One memory word: lanes_out x lanes_in trits, row-major, in the config's packing."""
    if config.packing is Packing.TWO_BIT:
        return pack_2bit(trits)
    return pack_base3(trits)


def unpack_word(config: TernaryConfig, word: int) -> np.ndarray:
    count = config.weights_per_word
    flat = unpack_2bit(word, count) if config.packing is Packing.TWO_BIT else \
        unpack_base3(word, count)
    return flat.reshape(config.lanes_out, config.lanes_in)


# --- geometry of a job ------------------------------------------------------------------

def clamp_shape(config: TernaryConfig, rows: int, cols: int) -> tuple[int, int]:
    """The unit clamps a load's header into 1..max (a field can hold larger values)."""
    return min(max(rows, 1), config.max_rows), min(max(cols, 1), config.max_cols)


def chunks(config: TernaryConfig, cols: int) -> int:
    return -(-cols // config.lanes_in)


def row_blocks(config: TernaryConfig, rows: int) -> int:
    """Row blocks one vector runs through: per hidden block, W_f, W_c, W_g with MLGRU."""
    return -(-rows // config.lanes_out) * config.projections


def matrix_words(config: TernaryConfig, matrices: list[np.ndarray]) -> list[int]:
    """Packed words of one load in address order (row block, then column chunk).

    ``matrices`` is [T] (rows x cols), or [W_f, W_c, W_g] (hidden x cols) with MLGRU,
    whose row blocks are interleaved: f block 0, c block 0, g block 0, f block 1, ...
    Rows and columns past the matrix are padded with zeros.
    """
    assert len(matrices) == config.projections
    rows, cols = matrices[0].shape
    lo, li = config.lanes_out, config.lanes_in
    words = []
    for block in range(-(-rows // lo)):
        for matrix in matrices:
            padded = np.zeros((lo, chunks(config, cols) * li), dtype=np.int64)
            part = matrix[block * lo:(block + 1) * lo]
            padded[:len(part), :cols] = part
            for chunk in range(chunks(config, cols)):
                words.append(pack_word(config, padded[:, chunk * li:(chunk + 1) * li]))
    return words


def words_matrices(config: TernaryConfig, words: list[int], rows: int,
                   cols: int) -> list[np.ndarray]:
    """The matrices a load's words hold, as the unit reads them (inverse of
    :func:`matrix_words`): rows x (chunks · lanes_in) each, padding columns included."""
    lo, li, count = config.lanes_out, config.lanes_in, chunks(config, cols)
    blocks = -(-rows // lo)
    needed = blocks * config.projections * count
    if len(words) < needed:
        raise ValueError(f"a load of {rows}x{cols} needs {needed} words, got {len(words)}")
    out = [np.zeros((blocks * lo, count * li), dtype=np.int64)
           for _ in range(config.projections)]
    address = 0
    for block in range(blocks):
        for matrix in out:
            for chunk in range(count):
                matrix[block * lo:(block + 1) * lo, chunk * li:(chunk + 1) * li] = \
                    unpack_word(config, words[address])
                address += 1
    return [matrix[:rows] for matrix in out]


# --- the integer engine and the BitLinear rescale ----------------------------------------

def matvec(config: TernaryConfig, trits: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Σ_j T[r, j]·x[j], exactly: the sums the adder trees produce."""
    trits = np.asarray(trits)
    if trits.size and (trits.min() < -1 or trits.max() > 1):
        raise AccelgenError(f"ternary weights: must be -1, 0 or +1, got "
                            f"{trits.min()}..{trits.max()}")
    x = check_range(x, config.activation_bits, True, "activations")
    return trits @ x


def combined_scale(weight_scale: int, activation_scale: int) -> int:
    """c = ws·as, exact: 2F fractional bits in 2 x 16 bits (a scale rounded to 16 bits
    would lose most of its precision when both scales are small, as they are in LLMs)."""
    return weight_scale * activation_scale


def rescale(config: TernaryConfig, sums: np.ndarray, c: int) -> np.ndarray:
    """y = sat(round(sum · c / 2^F)): F fractional bits, rounded half up once, saturated
    to output_bits."""
    low, high = config.output_range
    exact = np.asarray(sums, dtype=object) * c     # up to 21 + 32 bits: past int64's
    rounded = round_shift(exact, config.scale_fraction_bits)
    return np.clip(rounded, low, high).astype(np.int64)


def bitlinear_float(weights: np.ndarray, x: np.ndarray, bits: int = 8) -> np.ndarray:
    """Float reference of the whole BitLinear layer: quantize both, then W_t·x_q·γ·s/Q."""
    trits, gamma = absmean_ternary(weights)
    x_q, s = absmax_quantize(x, bits)
    return (trits @ x_q) * gamma * s / ((1 << (bits - 1)) - 1)


# --- the MLGRU cell -----------------------------------------------------------------------

def sigmoid_fixed(config: TernaryConfig, z: np.ndarray) -> np.ndarray:
    """σ(z) with F fractional bits (0..2^F) from the piecewise-linear table."""
    z = np.asarray(z, dtype=np.int64)
    magnitude = np.abs(z)
    value = np.zeros_like(z)
    done = np.zeros(z.shape, dtype=bool)
    for start, shift, intercept in sigmoid_table(config.scale_fraction_bits):
        here = ~done & (magnitude >= start)
        slope = 0 if shift is None else magnitude >> shift
        value = np.where(here, slope + intercept, value)
        done |= here
    return np.where(z < 0, (1 << config.scale_fraction_bits) - value, value)


def silu_fixed(config: TernaryConfig, z: np.ndarray) -> np.ndarray:
    """SiLU(z) = z·σ(z), σ from the table, rounded half up to F fractional bits."""
    z = np.asarray(z, dtype=np.int64)
    return round_shift(z * sigmoid_fixed(config, z), config.scale_fraction_bits)


def mlgru_fixed(config: TernaryConfig, f_pre, c_pre, g_pre, h_prev):
    """One MLGRU step in the unit's fixed point: (h, o), F fractional bits each.

    h = c + f·(h_prev − c) is f·h_prev + (1 − f)·c with one product; every product is
    rounded half up. f, g ∈ [0, 1], so h lies between h_prev and c and |o| <= |h|: the
    cell never needs to saturate.
    """
    shift = config.scale_fraction_bits
    f = sigmoid_fixed(config, f_pre)
    c = silu_fixed(config, c_pre)
    g = sigmoid_fixed(config, g_pre)
    h = c + round_shift(f * (np.asarray(h_prev, dtype=np.int64) - c), shift)
    return h, round_shift(g * h, shift)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def mlgru_float(f_pre, c_pre, g_pre, h_prev):
    """The float MLGRU step: h = σ(f)·h_prev + (1 − σ(f))·SiLU(c), o = σ(g)·h."""
    f, g = sigmoid(f_pre), sigmoid(g_pre)
    c = np.asarray(c_pre, dtype=np.float64) * sigmoid(c_pre)
    h = f * np.asarray(h_prev, dtype=np.float64) + (1 - f) * c
    return h, g * h
