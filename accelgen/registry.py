"""The unit registry: one entry per kind ties its config, hardware, golden model,
bench and doc together. The flows (CLI, generate, sim, synth, boards, bench) iterate
over it; adding a unit adds one line to UNIT_KINDS."""

from dataclasses import dataclass
from typing import Callable

from .bitserial_config import BitSerialConfig
from .kv_config import KVBufferConfig
from .systolic_config import SystolicConfig
from .ternary_config import TernaryConfig


@dataclass(frozen=True)
class UnitKind:
    name: str
    config_class: type
    component: str      # "module:function" building the Amaranth component from a config
    bench: str          # "module:Class" the cocotb test module drives
    reference: str      # module with input_layouts, output_layouts, reference_beats,
                        # selftest_frames: the unit at the level of stream beats
    doc: str

    def build(self, config):
        return _resolve(self.component)(config)

    def bench_class(self):
        return _resolve(self.bench)

    def beats(self):
        import importlib
        return importlib.import_module(self.reference)


def _resolve(target: str) -> Callable:
    # imported late: loading a config must not pay for Amaranth and cocotb
    import importlib
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


UNIT_KINDS = {
    "systolic": UnitKind("systolic", SystolicConfig, "accelgen.hw.systolic:systolic_array",
                         "accelgen.sim.systolic_bench:SystolicBench",
                         "accelgen.sim.systolic_reference", "docs/units/systolic.md"),
    "ternary": UnitKind("ternary", TernaryConfig, "accelgen.hw.ternary:ternary_unit",
                        "accelgen.sim.ternary_bench:TernaryBench",
                        "accelgen.sim.ternary_reference", "docs/units/ternary.md"),
    "bitserial": UnitKind("bitserial", BitSerialConfig, "accelgen.hw.bitserial:bitserial_unit",
                          "accelgen.sim.bitserial_bench:BitSerialBench",
                          "accelgen.sim.bitserial_reference", "docs/units/bitserial.md"),
    "kv_buffer": UnitKind("kv_buffer", KVBufferConfig, "accelgen.hw.kv_buffer:kv_buffer",
                          "accelgen.sim.kv_bench:KVBufferBench",
                          "accelgen.sim.kv_reference", "docs/units/kv_buffer.md"),
}
