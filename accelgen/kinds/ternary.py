"""``kind: ternary``: the MatMul-free ternary matrix-vector unit (BitLinear, MLGRU)."""

from ..ternary_config import TernaryConfig
from ..unit import DOCS, UnitKind, taken_last


class TernaryKind(UnitKind):
    config_class = TernaryConfig
    doc = DOCS / "ternary.md"
    test_configs = {
        "minimum": {"lanes_in": 1, "lanes_out": 1, "max_rows": 3, "max_cols": 2},
        "default": {},
        "preset": "ternary_8x2.yaml",
        # odd lanes and sizes, base-3 packing, one weight bank, 5-bit activations
        "3x5-base3-single": {"lanes_in": 3, "lanes_out": 5, "max_rows": 13, "max_cols": 7,
                             "packing": "base3", "double_buffer": False,
                             "activation_bits": 5},
        "mlgru-preset": "ternary_mlgru.yaml",
        # 128-bit weight words: wider than the bench's int64 fields
        "8x8-wide": {"lanes_in": 8, "lanes_out": 8, "max_rows": 24, "max_cols": 40},
        "mlgru-2x3": {"lanes_in": 2, "lanes_out": 3, "max_rows": 7, "max_cols": 9,
                      "mlgru": True, "scale_fraction_bits": 6, "output_bits": 16},
    }

    def component(self, config):
        from ..hw.ternary import ternary_unit
        return ternary_unit(config)

    def reference(self):
        from ..sim import ternary_reference
        return ternary_reference

    def bench(self):
        from ..sim.ternary_bench import TernaryBench
        return TernaryBench

    def driver(self):
        from ..host.ternary import TernaryDriver
        return TernaryDriver

    def job_end(self, m, config, component):
        return taken_last(component.activations)

    def selftest_frames(self, config, loads: int = 3, vectors: int = 8) -> dict:
        # loads as long as a bank (so any shape in a header finds its words) and vectors
        # of the most chunks (the unit ignores beats past a vector's columns)
        return {"weights": (config.bank_words, loads),
                "activations": (config.max_chunks, vectors)}
