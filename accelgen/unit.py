"""The unit contract: what every kind of unit provides, written down once.

A kind is a :class:`UnitKind` object tying together its config dataclass (a
:class:`UnitConfig`), its Amaranth component, its beat-level golden reference, its
cocotb bench, its doc page and the configs the test suite runs it on. The flows, the
tests and the benchmarks reach a kind only through these objects, and
``tests/test_unit_contract.py`` checks every registered kind against them.

Nothing here imports Amaranth or cocotb: loading a config must stay cheap. The parts
that need them are methods that import on first call.
"""

import abc
import dataclasses
import difflib
import enum
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from .errors import ConfigError

DOCS = Path(__file__).resolve().parent.parent / "docs" / "units"


@dataclass(frozen=True)
class UnitConfig(abc.ABC):
    """Base of every unit's config: a frozen dataclass whose fields are the YAML keys
    (with defaults), checked in ``__post_init__``; widths, latencies and limits are
    ``@property`` values that hardware, golden model and bench all read."""

    kind: ClassVar[str] = ""

    def __post_init__(self):
        """Every field holds a value of its declared type: a config built directly in
        Python (not from YAML) is checked as strictly. Subclasses call this first."""
        hints = typing.get_type_hints(type(self))
        for field in dataclasses.fields(self):
            value = _convert(getattr(self, field.name), hints[field.name], field.name)
            object.__setattr__(self, field.name, value)

    @property
    def memories(self) -> list["MemoryUse"]:
        """The unit's memories large enough for block RAM (small FIFOs stay in LUTs):
        what the fit estimate (accelgen/fit.py) maps onto a device."""
        return []

    def mode_ignores(self) -> dict[str, str]:
        """Keys the config's mode does not use, each with the reason: given in a design
        file they are refused, and ``to_dict`` leaves them out."""
        return {}

    @property
    @abc.abstractmethod
    def latency(self) -> int:
        """Cycles from the input that completes a job to its first result beat, on an
        idle, unstalled unit (the manifest's ``latency_cycles``)."""

    @property
    def slowest_answer(self) -> int:
        """Cycles from the input that completes a job to its first result beat on an idle,
        unstalled unit, for the slowest kind of job (``accelgen prove`` bounds progress
        with it): the latency, unless the kind's jobs differ."""
        return self.latency

    @property
    @abc.abstractmethod
    def throughput(self) -> str:
        """One sentence on the steady-state rate (the manifest's ``throughput``)."""

    @property
    @abc.abstractmethod
    def multiplier_shapes(self) -> list[tuple[int, int]]:
        """Signed operand widths of every multiplier the unit instantiates (synthesis
        counts which of them the device's DSP cells can hold)."""

    @classmethod
    def from_settings(cls, settings: dict) -> "UnitConfig":
        """The config from a YAML mapping (without its ``kind`` key); a bad key or value
        raises :class:`ConfigError` naming it."""
        hints = typing.get_type_hints(cls)
        names = [field.name for field in dataclasses.fields(cls)]
        values = {}
        for key, value in settings.items():
            if key not in names:
                raise ConfigError(str(key), f"unknown key; {did_you_mean(str(key), names)}"
                                            f"allowed: kind, {', '.join(names)}")
            values[key] = _convert(value, hints[key], key)
        config = cls(**values)
        for key, reason in config.mode_ignores().items():
            if key in settings:
                raise ConfigError(key, f"not used here: {reason}; remove it")
        return config

    def to_dict(self) -> dict:
        """The config as YAML-ready values, ``kind`` first."""
        out = {"kind": self.kind}
        ignored = self.mode_ignores()
        for field in dataclasses.fields(self):
            if field.name in ignored:
                continue
            value = getattr(self, field.name)
            if isinstance(value, enum.Enum):
                value = value.value
            out[field.name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True)
class MemoryUse:
    name: str
    width: int          # bits per word
    depth: int          # words
    spram: bool = False  # in the iCE40 UP5K's SPRAM rather than block RAM

    @property
    def bits(self) -> int:
        return self.width * self.depth


def parameter(default, allowed: str, meaning: str, shown: str | None = None):
    """A config field with its documentation: the values allowed and what it means (the
    doc pages' parameter tables are generated from these: accelgen/doc_tables.py);
    ``shown`` replaces the default in the table where the default is not a value."""
    metadata = {"allowed": allowed, "meaning": meaning}
    if shown is not None:
        metadata["shown"] = shown
    return dataclasses.field(default=default, metadata=metadata)


def did_you_mean(key: str, allowed) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def _convert(value, kind, field: str):
    """Check one YAML value against a dataclass field type (int, bool, str, Enum,
    X | None, tuple[str, ...])."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(kind) if option is not type(None)]
        if value is None:
            return None
        return _convert(value, options[0], field)
    if typing.get_origin(kind) is tuple:
        # a list of names (tuple[str, ...]); the unit's own check says which are allowed
        if not isinstance(value, (list, tuple)) or \
                not all(isinstance(item, str) for item in value):
            raise ConfigError(field, f"must be a list of names, got {value!r}")
        return tuple(value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        if isinstance(value, kind):
            return value
        allowed = [member.value for member in kind]
        if value not in allowed:
            raise ConfigError(field, f"must be one of {' | '.join(allowed)}, got {value!r}")
        return kind(value)
    # YAML's true/false are ints in Python; a width of `true` is a mistake, not 1
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(field, f"must be an integer, got {value!r}")
    if kind is bool and not isinstance(value, bool):
        raise ConfigError(field, f"must be true or false, got {value!r}")
    if kind is str and not isinstance(value, str):
        raise ConfigError(field, f"must be a string, got {value!r}")
    return value


class BeatReference(Protocol):
    """The unit at the level of stream beats (a module of ``accelgen.sim``): payload
    layouts per port, and the result words the golden model says a stimulus gives."""

    def input_layouts(self, config) -> dict: ...

    def output_layouts(self, config) -> dict: ...

    def reference_beats(self, config, stimulus: dict) -> dict: ...

    # optional: ``status_layouts(config)``, the component's outputs beside its streams
    # (name to layout); the host link reports them in its STATUS frame


class UnitKind(abc.ABC):
    """One kind of unit. Subclasses set the class attributes and implement the parts;
    ``accelgen.registry.register`` makes the kind known to every flow and test."""

    config_class: ClassVar[type[UnitConfig]]
    #: the unit's doc page: protocol, timing, parameters, costs
    doc: ClassVar[Path]
    #: configs every test of the kind runs on: a name to unit settings (without
    #: ``kind``) or to a preset file in configs/; "minimum" is required
    test_configs: ClassVar[dict[str, dict | str]]

    @property
    def name(self) -> str:
        """The YAML ``kind``; spelled once, on the config class."""
        return self.config_class.kind

    @abc.abstractmethod
    def component(self, config):
        """The unit's Amaranth ``wiring.Component`` for ``config``: one stream per data
        port, a ``last`` field in every input payload, and a docstring whose second
        paragraph is the job protocol (the manifest carries it)."""

    @abc.abstractmethod
    def reference(self) -> BeatReference:
        """The beat-level golden reference (see :class:`BeatReference`)."""

    @abc.abstractmethod
    def bench(self) -> type:
        """The cocotb bench class (a subclass of ``accelgen.sim.bench.Bench``); its
        module holds the kind's own cocotb tests, beside the shared ones."""

    @abc.abstractmethod
    def selftest_frames(self, config) -> dict:
        """Per input port of the board self-test: (beats per frame, frames)."""

    def job_end(self, m, config, component):
        """A 1-bit value, high in a cycle where ``component`` takes the input beat that
        completes a job (``m`` is the module to add any register to). The formal stream
        contract (``accelgen prove``) counts jobs with it. The default serves kinds with
        one input stream: its ``last`` beat completes a job."""
        from amaranth.lib.wiring import In
        inputs = [name for name, member in component.signature.members.items()
                  if not member.is_port and member.flow == In]
        if len(inputs) != 1:
            raise NotImplementedError(f"{self.name}: several input streams ({inputs}); "
                                      "the kind must say which completes a job")
        return taken_last(getattr(component, inputs[0]))

    def driver(self) -> type | None:
        """The host driver class of the kind's units: a subclass of
        ``accelgen.host.UnitDriver`` with the kind's numpy API, or None for the
        beat-level driver alone."""
        return None


def taken_last(port):
    """High when ``port`` (a stream) hands over a beat with ``last`` set."""
    return port.valid & port.ready & port.payload.last
