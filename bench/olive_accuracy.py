"""How much OliVe's OVP-4 keeps of matrices with outliers, against plain INT4, INT8 and
BitMoD's INT4+FP4 mixture: squared error of weights and activations, the output error of
a transformer-like layer, and the digits MLP's accuracy (BENCHMARKS.md, "olive";
tests/test_olive_accuracy.py checks a small case).

    python bench/olive_accuracy.py          # prints the tables
"""

import numpy as np

from accelgen.golden import bitmod, olive


def symmetric(values: np.ndarray, bits: int, per_row: bool, search: bool = False):
    """Symmetric integers, a scale per row or for all: the largest magnitude maps to the
    top level, or with ``search`` the clip of least squared error among 10 %, 12 %, ...
    100 % of it (outliers are then clipped where that costs less)."""
    top = (1 << (bits - 1)) - 1
    rows = values if per_row else values.reshape(1, -1)
    largest = np.abs(rows).max(axis=1)
    bases = [largest * percent / 100 for percent in range(10, 101, 2)] if search \
        else [largest]
    best, best_error = None, np.full(len(rows), np.inf)
    for clip in bases:
        scale = np.maximum(clip, 1e-30)[:, None] / top
        made = np.clip(np.round(rows / scale), -top, top) * scale
        error = ((made - rows) ** 2).mean(axis=1)
        better = error < best_error
        best = made if best is None else np.where(better[:, None], made, best)
        best_error = np.minimum(error, best_error)
    return best.reshape(values.shape)


def bitmod_mixture(values: np.ndarray, per_row: bool):
    """BitMoD's per-group INT4 / FP4 mixture (groups of 128 along each row; weights)."""
    return bitmod.quantize_families(values, 128, ["int4", "fp4"]).dequantize()


FORMATS = {
    "INT8": lambda v, per_row: symmetric(v, 8, per_row),
    "INT4": lambda v, per_row: symmetric(v, 4, per_row),
    "INT4, clip searched": lambda v, per_row: symmetric(v, 4, per_row, search=True),
    "BitMoD INT4+FP4 (g128)": bitmod_mixture,
    "OVP-4 int": lambda v, per_row: olive.quantize(v, "int", per_row).dequantize(),
    "OVP-4 flint": lambda v, per_row: olive.quantize(v, "flint", per_row).dequantize(),
    "OVP-4 adaptive": lambda v, per_row: olive.quantize(v, "adaptive", per_row).dequantize(),
}
WEIGHT_ONLY = {"BitMoD INT4+FP4 (g128)"}


def outlier_weights(rng, rows: int, columns: int, fraction: float = 0.005):
    """Gaussian weights with a sparse set of elements 10-40 times as large."""
    weights = rng.normal(0, 1, (rows, columns))
    chosen = rng.random((rows, columns)) < fraction
    weights[chosen] *= rng.uniform(10, 40, chosen.sum())
    return weights


def outlier_activations(rng, tokens: int, channels: int, outlier_channels: int = 6):
    """Gaussian activations with a few channels 20-60 times as large in every token
    (as LLM.int8() measured in transformers)."""
    activations = rng.normal(0, 1, (tokens, channels))
    chosen = rng.choice(channels, outlier_channels, replace=False)
    activations[:, chosen] *= rng.uniform(20, 60, outlier_channels)
    return activations


def relative_error(made: np.ndarray, exact: np.ndarray) -> float:
    return float(((made - exact) ** 2).sum() / (exact ** 2).sum())


def matrix_errors(values: np.ndarray, per_row: bool) -> dict:
    return {name: relative_error(quantize(values, per_row), values)
            for name, quantize in FORMATS.items()
            if per_row or name not in WEIGHT_ONLY}


def layer_errors(rng, tokens: int = 64, channels: int = 1024, outputs: int = 256) -> dict:
    """y = x · Wᵀ with outlier activation channels, weights and activations both in the
    format (BitMoD: its weights with INT8 activations)."""
    activations = outlier_activations(rng, tokens, channels)
    weights = rng.normal(0, 1, (outputs, channels)) / np.sqrt(channels)
    exact = activations @ weights.T
    errors = {}
    for name, quantize in FORMATS.items():
        x = FORMATS["INT8"](activations, False) if name in WEIGHT_ONLY \
            else quantize(activations, False)
        errors[name] = relative_error(x @ quantize(weights, True).T, exact)
    return errors


def digits_accuracy(seed: int = 0) -> dict:
    """The digits MLP (examples/digits_mlp.py's) with its weights in each format (per
    output neuron, along the inputs), activations in float: test accuracy."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "examples" / "digits_mlp.py"
    spec = importlib.util.spec_from_file_location("digits_mlp", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    mlp, _, test_x, test_y = example.train(seed)

    def accuracy(weights):
        hidden = np.maximum(test_x @ weights[0] + mlp.intercepts_[0], 0)
        logits = hidden @ weights[1] + mlp.intercepts_[1]
        return float((logits.argmax(axis=1) == test_y).mean())

    results = {"float": accuracy(mlp.coefs_)}
    for name, quantize in FORMATS.items():
        # coefs_ are (inputs, outputs): quantize each neuron's weights along its inputs
        results[name] = accuracy([quantize(w.T, True).T for w in mlp.coefs_])
    return results


def tables(seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    weights = outlier_weights(rng, 256, 1024)
    activations = outlier_activations(rng, 128, 1024)
    columns = {"weights (256 x 1024, 0.5 % outliers 10-40x), per row":
               matrix_errors(weights, True),
               "activations (128 x 1024, 6 channels 20-60x), per tensor":
               matrix_errors(activations, False),
               "layer x·Wᵀ (64 x 1024 · 1024 x 256), output":
               layer_errors(rng)}
    lines = ["| format | " + " | ".join(columns) + " |",
             "|---|" + "---|" * len(columns)]
    for name in FORMATS:
        cells = [f"{table[name]:.2e}" if name in table else "—" for table in columns.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    accuracy = digits_accuracy()
    lines += ["", "The digits MLP (64-32-10, examples/digits_mlp.py), weights in each format, "
              "activations in float: test accuracy of 360 digits.", "",
              "| format | accuracy |", "|---|---|"]
    lines += [f"| {name} | {value:.1%} |" for name, value in accuracy.items()]
    return lines


if __name__ == "__main__":
    print("\n".join(tables()))
