"""A BitMoD-quantized layer on the bit-serial unit: a linear layer with heavy-tailed
(LLM-like) weights, quantized per group of 128 to the better of INT4 and FP4 (with its
special values), applied to a batch of INT8 activations.

    python examples/bitmod_layer.py                      # served simulation
    python examples/bitmod_layer.py --port /dev/ttyUSB1  # an iCEBreaker running
                                                         # configs/bitserial_w4.yaml

Every output must equal golden.bitmod's; the error against the float layer is reported,
and how often each datatype was chosen.
"""

import sys
from pathlib import Path

import numpy as np

from accelgen import load_config
from accelgen.golden import bitmod
from accelgen.golden.ternary import absmax_quantize
from accelgen.host import argument_parser, connect
from accelgen.sim.bitserial_reference import expected_outputs

DESIGN = Path(__file__).resolve().parent.parent / "configs" / "bitserial_w4.yaml"


def run(port: str | None = None, rows: int = 64, vectors: int = 16,
        baud: int | None = None) -> dict:
    design = load_config(DESIGN)
    config = design.units["bitmod"]
    rng = np.random.default_rng(0)
    weights = rng.standard_t(4, (rows, config.max_cols)) * 0.02
    layer = bitmod.quantize(weights, config.group_size, config.table)
    x_float = rng.normal(0, 1, (vectors, config.max_cols))
    quantized = [absmax_quantize(vector) for vector in x_float]
    x = np.array([q for q, _ in quantized])
    golden = np.array([expected_outputs(config, layer.selectors, layer.scales, layer.codes,
                                        vector) for vector in x])
    with connect(design, port, baud=baud) as accelerator, \
            accelerator.measured() as measured:
        accelerator.bitmod.load(layer)
        y = accelerator.bitmod.apply(x)
    # back to real units: y · 2^shift · row factor · activation scale
    scales = np.array([s / 127 for _, s in quantized])
    y_real = y * (1 << config.output_shift) * layer.row_factor[None, :] * scales[:, None]
    exact = x_float @ weights.T
    chosen = np.bincount(layer.selectors.ravel(), minlength=len(config.table))
    return {"items": vectors, "rows": rows, "vectors": vectors,
            "identical": bool(np.array_equal(y, golden)),
            "relative_error": float(np.abs(y_real - exact).max() / np.abs(exact).max()),
            "datatypes": {datatype.name: int(count)
                          for datatype, count in zip(config.table, chosen) if count},
            **measured}


def main(argv=None) -> int:
    parser = argument_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--vectors", type=int, default=16)
    args = parser.parse_args(argv)
    result = run(args.port, args.rows, args.vectors, args.baud)
    print(f"{result['rows']} x 512 BitMoD layer, {result['vectors']} vectors: outputs "
          f"identical to golden.bitmod: {result['identical']}; largest error against the "
          f"float layer {result['relative_error']:.2%} of its largest output; groups per "
          f"datatype {result['datatypes']}")
    print(f"{result['seconds']:.2f} s, {result['cycles']} device cycles")
    return 0 if result["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
