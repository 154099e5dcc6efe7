"""``kind: bitserial``: the BitMoD bit-serial mixture-of-datatype unit."""

from ..bitserial_config import BitSerialConfig
from ..unit import DOCS, UnitKind, taken_last


class BitSerialKind(UnitKind):
    config_class = BitSerialConfig
    doc = DOCS / "bitserial.md"
    test_configs = {
        "minimum": {"pes": 1, "lanes": 1, "group_size": 3, "max_groups": 3,
                    "datatypes": ["fp4", "int2"]},
        "preset": "bitserial.yaml",
        # two planes per cycle; a group of one chunk is shorter than the scaler's 8 cycles
        "2bit-short-groups": {"pes": 3, "lanes": 5, "bits_per_cycle": 2, "group_size": 5,
                              "max_groups": 7, "datatypes": ["int3", "fp3", "int8"]},
        # integers only (no shifter), 6-bit activations, results rounded and saturated
        "int-saturating": {"pes": 2, "lanes": 4, "group_size": 12, "max_groups": 5,
                           "datatypes": ["int4", "int2"], "activation_bits": 6,
                           "output_bits": 12, "output_shift": 5},
    }

    def component(self, config):
        from ..hw.bitserial import bitserial_unit
        return bitserial_unit(config)

    def reference(self):
        from ..sim import bitserial_reference
        return bitserial_reference

    def bench(self):
        from ..sim.bitserial_bench import BitSerialBench
        return BitSerialBench

    def driver(self):
        from ..host.bitserial import BitSerialDriver
        return BitSerialDriver

    def job_end(self, m, config, component):
        return taken_last(component.weights)

    def selftest_frames(self, config, jobs: int = 3) -> dict:
        # vectors of the most chunks, matrices of two row blocks
        return {"weights": (2 * config.max_chunks, jobs),
                "activations": (config.max_chunks, jobs)}
