"""Golden models of the systolic array's two dataflows. Operands are integers; an
``olive`` operand's are the values its OVP-4 codes decode to (:func:`operand_values`)."""

import numpy as np

from accelgen.errors import AccelgenError
from accelgen.systolic_config import SystolicConfig

from . import olive
from .integers import check_range, wrap


def _operand(config: SystolicConfig, values, which: str) -> np.ndarray:
    what = f"{which}s"
    if not config.olive(which):
        return check_range(values, getattr(config, f"{which}_bits"), config.signed, what)
    values = np.asarray(values, dtype=np.int64)
    normal = config.olive_type
    levels = normal.values
    if not np.isin(values, levels).all():
        wrong = sorted(set(values.ravel().tolist()) - set(levels))
        raise AccelgenError(f"{what}: must be OVP-4 {normal.name} values (in units: "
                            f"{levels}), got {wrong[:4]}")
    return values


def _checked(config: SystolicConfig, activations, weights):
    return _operand(config, activations, "activation"), _operand(config, weights, "weight")


def operand_values(config: SystolicConfig, which: str, elements, steps: int = 1) -> np.ndarray:
    """The integers of an ``activation`` or ``weight`` stream field (one row per beat),
    one row per reduction step: OVP codes decoded by pairs of neighbouring elements; a
    beat of ``steps`` steps holds lane i's step s in element steps·i + s."""
    elements = np.asarray(elements, dtype=np.int64)
    if config.olive(which):
        elements = olive.decode(config.olive_type, elements)
    beats, width = elements.shape
    return elements.reshape(beats, width // steps, steps).transpose(0, 2, 1) \
        .reshape(beats * steps, width // steps)


def operand_elements(config: SystolicConfig, which: str, values, steps: int = 1,
                     what: str = "operand") -> np.ndarray:
    """The inverse of :func:`operand_values`: integers, one row per reduction step (a
    multiple of ``steps`` rows; the weight-stationary vector: one row per vector, even
    length), as a stream field's elements, OVP-encoded where the operand is olive."""
    values = np.asarray(values, dtype=np.int64)
    count, lanes = values.shape
    elements = values.reshape(count // steps, steps, lanes).transpose(0, 2, 1) \
        .reshape(count // steps, lanes * steps)
    if config.olive(which):
        return olive.encode_values(config.olive_type, elements, what)
    return elements


def output_stationary_tile(config: SystolicConfig, a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """One output-stationary job: ``a`` is K x rows, ``w`` is K x cols; returns the
    rows x cols tile aᵀ·w, wrapped to the accumulator width."""
    a, w = _checked(config, a, w)
    assert a.shape[1] == config.rows and w.shape[1] == config.cols and len(a) == len(w)
    # the exact sum needs at most 16 + 20 bits, so int64 is exact and one wrap at
    # the end equals the register wrapping on every addition
    return wrap(a.T @ w, config.accumulator_width, config.signed)


def weight_stationary_vectors(config: SystolicConfig, weights: np.ndarray,
                              a: np.ndarray) -> np.ndarray:
    """One weight-stationary job: ``weights`` is rows x cols, ``a`` is N x rows;
    returns the N x cols results a·W, wrapped to the accumulator width."""
    a, weights = _checked(config, a, weights)
    assert weights.shape == (config.rows, config.cols) and a.shape[1] == config.rows
    return wrap(a @ weights, config.accumulator_width, config.signed)


def float_reference(a_real: np.ndarray, w_real: np.ndarray, bits_a: int, bits_w: int):
    """Quantize real matrices per tensor (absmax, round to nearest, signed) and return
    (integer product rescaled to real, exact real product): their difference is the
    quantization error of running this matmul on the array."""
    scale_a = np.abs(a_real).max() / ((1 << (bits_a - 1)) - 1)
    scale_w = np.abs(w_real).max() / ((1 << (bits_w - 1)) - 1)
    qa = np.rint(a_real / scale_a).astype(np.int64)
    qw = np.rint(w_real / scale_w).astype(np.int64)
    return (qa @ qw) * scale_a * scale_w, a_real @ w_real
