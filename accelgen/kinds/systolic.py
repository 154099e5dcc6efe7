"""``kind: systolic``: the INT2..INT8 (and OVP-4) processing-element array."""

from ..systolic_config import SystolicConfig
from ..unit import DOCS, UnitKind, taken_last


class SystolicKind(UnitKind):
    config_class = SystolicConfig
    doc = DOCS / "systolic.md"
    test_configs = {
        "minimum": {"rows": 1, "cols": 1, "max_depth": 64},
        "default": "default.yaml",
        "3x5-uint4": {"rows": 3, "cols": 5, "activation_bits": 4, "weight_bits": 4,
                      "signed": False, "max_depth": 100},
        # large enough that Verilator splits the model into several files
        "8x8-int8-k256": {"rows": 8, "cols": 8, "max_depth": 256},
        "4x4-acc16-wraps": {"rows": 4, "cols": 4, "accumulator_bits": 16, "max_depth": 300},
        # OVP-4 operands (docs/olive.md): both, and an integer partner; odd K and rows;
        # PEs that shift, and PEs that take integers
        "ovp-3x5": {"rows": 3, "cols": 5, "activation_encoding": "olive",
                    "weight_encoding": "olive", "olive_products": "shift", "max_depth": 40},
        "ovp-2x3-int8xflint": {"rows": 2, "cols": 3, "weight_encoding": "olive",
                               "olive_normal": "flint", "max_depth": 33},
        "ws-ovp-5x3-flint": {"rows": 5, "cols": 3, "activation_encoding": "olive",
                             "weight_encoding": "olive", "olive_normal": "flint",
                             "olive_products": "shift", "dataflow": "weight_stationary"},
        "ws-1x1": {"rows": 1, "cols": 1, "dataflow": "weight_stationary"},
        "ws-3x5-int8xint4": {"rows": 3, "cols": 5, "weight_bits": 4,
                             "dataflow": "weight_stationary"},
        "ws-5x2-uint2xuint3": {"rows": 5, "cols": 2, "activation_bits": 2, "weight_bits": 3,
                               "signed": False, "dataflow": "weight_stationary"},
        "ws-2x4-preset": "ws_int8_2x4.yaml",
    }

    def component(self, config):
        from ..hw.systolic import systolic_array
        return systolic_array(config)

    def reference(self):
        from ..sim import systolic_reference
        return systolic_reference

    def bench(self):
        from ..sim.systolic_bench import SystolicBench
        return SystolicBench

    def driver(self):
        from ..host.systolic import SystolicDriver
        return SystolicDriver

    def job_end(self, m, config, component):
        # a tile ends on its last operand beat; a weight-stationary job on its last
        # activation vector (a weight load alone gives no result)
        port = component.operands if config.output_stationary else component.activations
        return taken_last(port)

    def selftest_frames(self, config, jobs: int = 4) -> dict:
        if config.output_stationary:
            return {"operands": (2 * config.job_spacing + 3, jobs)}
        return {"weights": (config.rows, jobs), "activations": (config.rows + 3, jobs)}
