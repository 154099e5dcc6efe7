"""A MatMul-free language-model block ("Scalable MatMul-free Language Modeling") on the
ternary units: the MLGRU token mixer over a sequence, then a BitLinear projection of
every token, all weights ternary and no multiplication by a weight.

    python examples/matmulfree_block.py                      # served simulation, 64 tokens
    python examples/matmulfree_block.py --port /dev/ttyUSB1  # a board running matmulfree.yaml

The same fixed-point pipeline runs in numpy (accelgen.golden.ternary); every output
must be identical. The error against the float block is reported.
"""

import sys
from pathlib import Path

import numpy as np

from accelgen import load_config
from accelgen.golden.ternary import (absmax_quantize, absmean_ternary, combined_scale, matvec,
                                     mlgru_fixed, mlgru_float, rescale, scale_code)
from accelgen.host import argument_parser, connect

DESIGN = Path(__file__).with_name("matmulfree.yaml")


def quantized_tokens(x: np.ndarray, fraction_bits: int):
    """Each token as INT8 (absmax) and its activation scale as = s/127."""
    rows = [absmax_quantize(token) for token in x]
    return (np.array([q for q, _ in rows]),
            np.array([scale_code(s / 127, fraction_bits) for _, s in rows]))


class Block:
    """Ternary weights of the block and the integer pipeline through it."""

    def __init__(self, hidden: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.float_weights = [rng.normal(0, hidden ** -0.5, (hidden, hidden)) for _ in range(4)]
        # the mixer's three projections share one scale (one load header)
        mixer = np.concatenate(self.float_weights[:3])
        trits, gamma = absmean_ternary(mixer)
        self.mixer_trits = np.split(trits, 3)
        self.mixer_gamma = gamma
        self.proj_trits, self.proj_gamma = absmean_ternary(self.float_weights[3])

    def run(self, x: np.ndarray, mixer_unit, proj_unit) -> tuple[np.ndarray, np.ndarray]:
        """(o, y) of every token, fixed point, through the units given."""
        fraction = mixer_unit.config.scale_fraction_bits
        tokens, scales = quantized_tokens(x, fraction)
        mixer_unit.load(self.mixer_trits, scale_code(self.mixer_gamma, fraction))
        o = mixer_unit.apply(tokens, scales, start=True)
        tokens, scales = quantized_tokens(o / (1 << fraction), fraction)
        proj_unit.load(self.proj_trits, scale_code(self.proj_gamma, fraction))
        return o, proj_unit.apply(tokens, scales)

    def run_float(self, x: np.ndarray) -> np.ndarray:
        """The block in float with the same ternary weights (γ·T, as a trained ternary
        model has them): what remains is the error of INT8 activations and fixed point."""
        wf, wc, wg = (self.mixer_gamma * trits for trits in self.mixer_trits)
        wo = self.proj_gamma * self.proj_trits
        h = np.zeros(wf.shape[0])
        out = []
        for token in x:
            h, o = mlgru_float(wf @ token, wc @ token, wg @ token, h)
            out.append(wo @ o)
        return np.array(out)


class NumpyTernary:
    """golden.ternary in the drivers' shape: ``load`` then ``apply`` (the pipeline's
    numpy twin)."""

    def __init__(self, config):
        self.config = config

    def load(self, weights, weight_scale):
        self.matrices = list(weights) if self.config.mlgru else [weights]
        self.weight_scale = weight_scale

    def apply(self, x, activation_scale, final=True, start=False):
        config, out = self.config, []
        h = np.zeros(len(self.matrices[0]), dtype=np.int64)
        for token, scale in zip(x, np.broadcast_to(activation_scale, (len(x),))):
            c = combined_scale(self.weight_scale, int(scale))
            pre = [rescale(config, matvec(config, matrix, token), c) for matrix in self.matrices]
            if config.mlgru:
                h, o = mlgru_fixed(config, *pre, h)
                out.append(o)
            else:
                out.append(pre[0])
        return np.array(out)


def run(port: str | None = None, tokens: int = 64, baud: int | None = None) -> dict:
    design = load_config(DESIGN)
    hidden = design.units["mixer"].max_rows
    block = Block(hidden)
    rng = np.random.default_rng(1)
    # a slowly drifting sequence, like embeddings of related tokens
    x = np.cumsum(rng.normal(0, 0.4, (tokens, hidden)), axis=0) + rng.normal(0, 1, hidden)
    golden_o, golden_y = block.run(x, NumpyTernary(design.units["mixer"]),
                                   NumpyTernary(design.units["proj"]))
    with connect(design, port, baud=baud) as accelerator, \
            accelerator.measured() as measured:
        o, y = block.run(x, accelerator.mixer, accelerator.proj)
    fraction = design.units["proj"].scale_fraction_bits
    reference = block.run_float(x)
    error = np.abs(y / (1 << fraction) - reference).max() / np.abs(reference).max()
    return {"items": tokens, "tokens": tokens,
            "identical": bool(np.array_equal(o, golden_o) and np.array_equal(y, golden_y)),
            "relative_error": float(error), **measured}


def main(argv=None) -> int:
    parser = argument_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args(argv)
    result = run(args.port, args.tokens, args.baud)
    print(f"{result['tokens']} tokens through the MLGRU mixer and the BitLinear projection: "
          f"every output identical to numpy: {result['identical']}; largest error against "
          f"the float block {result['relative_error']:.3%} of its largest output")
    print(f"{result['seconds']:.2f} s, {result['cycles']} device cycles")
    return 0 if result["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
