"""A kind defined outside the package, to show what adding a unit takes: its own files
(this config and kind, hardware.py, reference.py, bench.py, doc.md) and the one
``register`` call below. tests/conftest.py imports it, so every test parametrized over
the registry (generate, lint, sim with the shared bench tests, config errors, the
contract) runs it too."""

import typing
from dataclasses import dataclass
from pathlib import Path

from accelgen.errors import require
from accelgen.registry import register
from accelgen.unit import UnitConfig, UnitKind, parameter


@dataclass(frozen=True)
class AdderConfig(UnitConfig):
    kind: typing.ClassVar[str] = "adder"

    width: int = parameter(8, "1..32", "bits of each signed operand")
    stages: int = parameter(1, "1..4", "registers between the operands and the sum")

    def __post_init__(self):
        super().__post_init__()
        require(1 <= self.width <= 32, "width", f"must be an integer 1..32, got {self.width}")
        require(1 <= self.stages <= 4, "stages", f"must be an integer 1..4, got {self.stages}")

    @property
    def latency(self) -> int:
        """Cycles from an operand beat to its sum."""
        return self.stages

    @property
    def throughput(self) -> str:
        return "one sum per cycle"

    @property
    def multiplier_shapes(self) -> list[tuple[int, int]]:
        return []


class AdderKind(UnitKind):
    config_class = AdderConfig
    doc = Path(__file__).parent / "doc.md"
    test_configs = {"minimum": {"width": 1}, "wide-deep": {"width": 32, "stages": 4}}

    def component(self, config):
        from .hardware import Adder
        return Adder(config)

    def reference(self):
        from . import reference
        return reference

    def bench(self):
        from .bench import AdderBench
        return AdderBench

    def selftest_frames(self, config) -> dict:
        return {"operands": (3, 5)}


register(AdderKind())
