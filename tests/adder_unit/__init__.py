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
from accelgen.unit import UnitConfig, UnitKind


@dataclass(frozen=True)
class AdderConfig(UnitConfig):
    kind: typing.ClassVar[str] = "adder"

    width: int = 8          # bits of each signed operand
    registered: bool = True  # the sum leaves a cycle after its operands (or at once)

    def __post_init__(self):
        require(1 <= self.width <= 32, "width", f"must be an integer 1..32, got {self.width}")

    @property
    def latency(self) -> int:
        return 1 if self.registered else 0

    @property
    def throughput(self) -> str:
        return "one sum per cycle"

    @property
    def multiplier_shapes(self) -> list[tuple[int, int]]:
        return []


class AdderKind(UnitKind):
    config_class = AdderConfig
    doc = Path(__file__).parent / "doc.md"
    test_configs = {"minimum": {"width": 1}, "wide": {"width": 32},
                    "combinational": {"width": 5, "registered": False}}

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
