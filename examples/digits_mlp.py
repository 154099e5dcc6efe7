"""Handwritten digits on the systolic array: a 64-32-10 MLP with INT8 activations and
INT4 weights, every matrix product on the accelerator, requantization on the host.

    python examples/digits_mlp.py                  # the served simulation, every held-out digit
    python examples/digits_mlp.py --port /dev/ttyUSB1   # a board running the default's system
                                                   # (iCEBreaker: build --unit gemm)
    python examples/digits_mlp.py --weights ovp    # OliVe OVP-4 weights, on the array of
                                                   # examples/digits_ovp.yaml

The same integer pipeline runs with numpy's matmul; every logit must be identical.
"""

import sys
from dataclasses import dataclass

import numpy as np

from pathlib import Path

from accelgen import load_config
from accelgen.golden import olive
from accelgen.host import argument_parser, connect

SHIFT = 16      # fixed-point bits of the requantization multipliers


def quantize_symmetric(values: np.ndarray, bits: int, axis=None) -> tuple[np.ndarray, np.ndarray]:
    """Integers in ±(2^(bits-1) - 1) and the scale(s) that map them back."""
    top = (1 << (bits - 1)) - 1
    scale = np.maximum(np.abs(values).max(axis=axis, keepdims=axis is not None), 1e-12) / top
    return np.clip(np.round(values / scale), -top, top).astype(np.int64), scale


def quantize_weights(w: np.ndarray, weights: str) -> tuple[np.ndarray, np.ndarray]:
    """W (in x out) as integers and the scale of each output column: INT4, or OVP-4
    (pairs along the input dimension, the reduction; the quantizer's MSE-searched clip)."""
    if weights == "ovp":
        encoded = olive.quantize(w.T, "int")
        return encoded.integers().T, encoded.step[None, :]
    return quantize_symmetric(w, 4, axis=0)


@dataclass
class IntegerMLP:
    """W_i as INT4 (or OVP-4) per output column, biases as int32 in the accumulator's units, and
    fixed-point multipliers that take each layer's accumulator to the next INT8 input."""
    weights: list
    biases: list
    multipliers: list
    input_scale: float

    @classmethod
    def from_float(cls, mlp, calibration: np.ndarray, weights: str = "int4") -> "IntegerMLP":
        input_scale = 16 / 127                       # pixels are 0..16
        scale, x = input_scale, calibration
        weights, biases, multipliers = [], [], []
        for index, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
            w_int, w_scale = quantize_weights(w, weights)
            weights.append(w_int)
            biases.append(np.round(b / (scale * w_scale[0])).astype(np.int64))
            x = np.maximum(x @ w + b, 0)
            if index < len(mlp.coefs_) - 1:
                out_scale = max(np.percentile(x, 99.9), 1e-6) / 127
                multipliers.append(np.round(scale * w_scale[0] / out_scale * (1 << SHIFT))
                                   .astype(np.int64))
                scale = out_scale
        return cls(weights, biases, multipliers, input_scale)

    def logits(self, pixels: np.ndarray, matmul) -> np.ndarray:
        """The integer network; ``matmul`` is numpy's or the accelerator's."""
        x = np.clip(np.round(pixels / self.input_scale), 0, 127).astype(np.int64)
        for index, (w, b) in enumerate(zip(self.weights, self.biases)):
            accumulator = matmul(x, w) + b
            if index == len(self.weights) - 1:
                return accumulator
            scaled = (np.maximum(accumulator, 0) * self.multipliers[index] + (1 << (SHIFT - 1))) \
                >> SHIFT
            x = np.minimum(scaled, 127)


def train(seed: int = 0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    pixels, labels = load_digits(return_X_y=True)
    train_x, test_x, train_y, test_y = train_test_split(pixels, labels, test_size=0.2,
                                                        random_state=seed)
    mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=400, random_state=seed)
    mlp.fit(train_x, train_y)
    return mlp, train_x, test_x, test_y


def run(port: str | None = None, digits: int | None = None, baud: int | None = None,
        weights: str = "int4") -> dict:
    mlp, train_x, test_x, test_y = train()
    network = IntegerMLP.from_float(mlp, train_x, weights)
    if digits is not None:
        test_x, test_y = test_x[:digits], test_y[:digits]
    golden = network.logits(test_x, lambda a, w: a @ w)
    # the embedded default's 4x4 INT8 x INT4 array "gemm", or its OVP-4 twin
    design = load_config(Path(__file__).with_name("digits_ovp.yaml")) if weights == "ovp" \
        else load_config()
    with connect(design, port, baud=baud, units=["gemm"]) as accelerator, \
            accelerator.measured() as measured:
        logits = network.logits(test_x, accelerator.gemm.matmul)
    return {"items": len(test_y), "digits": len(test_y),
            "identical": bool(np.array_equal(logits, golden)),
            "accuracy": float(np.mean(logits.argmax(1) == test_y)),
            "golden_accuracy": float(np.mean(golden.argmax(1) == test_y)),
            "float_accuracy": float(mlp.score(test_x, test_y)), **measured}


def main(argv=None) -> int:
    parser = argument_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--digits", type=int, help="only the first N held-out digits")
    parser.add_argument("--weights", choices=["int4", "ovp"], default="int4",
                        help="the weights' format: INT4 (default) or OliVe OVP-4")
    args = parser.parse_args(argv)
    result = run(args.port, args.digits, args.baud, args.weights)
    print(f"{result['digits']} digits: accuracy {result['accuracy']:.4f} on the accelerator, "
          f"{result['golden_accuracy']:.4f} numpy integer, {result['float_accuracy']:.4f} float; "
          f"every logit identical: {result['identical']}")
    print(f"{result['seconds']:.2f} s, {result['cycles']} device cycles, "
          f"{result['payload_bytes']} payload bytes in {result['wire_bytes']} on the wire")
    return 0 if result["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
