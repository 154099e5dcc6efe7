"""LLM decode attention on the KV-cache buffer: each step appends the new token's K and
V to every head, scores the query against the tokens held (4 attention sinks and a
sliding window once the cache is full), takes the softmax on the host, and reads the
weighted values.

    python examples/decode_attention.py                      # served simulation, 96 steps
    python examples/decode_attention.py --port /dev/ttyUSB1  # a board running decoder.yaml

The scores and weighted sums must equal the golden cache's (accelgen.golden.kv_cache)
at every step; the error against float attention is reported, over the tokens the cache
holds and over the whole sequence (what eviction costs).
"""

import sys
from pathlib import Path

import numpy as np

from accelgen import load_config
from accelgen.golden.kv_cache import (ReferenceCache, attention, attention_output,
                                      attention_weights)
from accelgen.host import argument_parser, connect

DESIGN = Path(__file__).with_name("decoder.yaml")
VALUE_RANGE = 4.0       # K and V elements as int16 in units of 4 / 32767


def sequence(steps: int, heads: int, dim: int, seed: int = 0):
    """q, k, v per step and head: drifting vectors, as a decoder's projections give."""
    rng = np.random.default_rng(seed)
    drift = np.cumsum(rng.normal(0, 0.1, (steps, 3, heads, dim)), axis=0)
    return drift + rng.normal(0, 1, (steps, 3, heads, dim))


def run(port: str | None = None, steps: int = 96, baud: int | None = None) -> dict:
    design = load_config(DESIGN)
    config = design.units["kv"]
    data = sequence(steps, config.heads, config.head_dim)
    unit = VALUE_RANGE / ((1 << (config.input_bits - 1)) - 1)
    golden = ReferenceCache(config)
    mismatches, held_errors, full_errors = 0, [], []
    with connect(design, port, baud=baud) as accelerator, \
            accelerator.measured() as measured:
        kv = accelerator.kv
        for step in range(steps):
            for head in range(config.heads):
                q, k, v = data[step, :, head]
                k_int = np.clip(np.round(k / unit), -32767, 32767).astype(np.int64)
                v_int = np.clip(np.round(v / unit), -32767, 32767).astype(np.int64)
                query_unit = np.abs(q).max() / 127
                q_int = np.round(q / query_unit).astype(np.int64)
                position = kv.append(head, k_int, v_int)[0]
                golden.append(head, k_int, v_int)
                positions, s = kv.scores(head, q_int)
                p = attention_weights(s, query_unit * unit / config.qmax /
                                      np.sqrt(config.head_dim))
                y = kv.weighted_values(head, p)
                mismatches += int(position != step or list(positions) != golden.positions(head)
                                  or not np.array_equal(s, golden.scores(head, q_int))
                                  or not np.array_equal(y, golden.weighted_values(head, p)))
                out = attention_output(config, y, unit)
                held = data[positions, 1:, head]
                for errors, (keys, values) in ((held_errors, (held[:, 0], held[:, 1])),
                                               (full_errors, (data[:step + 1, 1, head],
                                                              data[:step + 1, 2, head]))):
                    exact = attention(q, keys, values)
                    errors.append(np.abs(out - exact).max() / np.abs(exact).max())
        status = kv.status()
    return {"items": steps, "steps": steps, "heads": config.heads,
            "identical": mismatches == 0,
            "held": int(status["length"][0]), "overflow": bool(status["overflow"][0]),
            "error_held": float(np.mean(held_errors)), "error_full": float(np.mean(full_errors)),
            **measured}


def main(argv=None) -> int:
    parser = argument_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=96)
    args = parser.parse_args(argv)
    result = run(args.port, args.steps, args.baud)
    print(f"{result['steps']} decode steps x {result['heads']} heads: scores and weighted "
          f"values identical to the golden cache: {result['identical']}; "
          f"{result['held']} tokens held at the end (evicted: {result['overflow']})")
    print(f"mean error against float attention: {result['error_held']:.2%} over the tokens "
          f"held, {result['error_full']:.2%} over the whole sequence")
    print(f"{result['seconds']:.2f} s, {result['cycles']} device cycles")
    return 0 if result["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
