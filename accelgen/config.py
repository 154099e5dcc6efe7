"""YAML config → frozen, validated dataclasses.

A design file names the design and its units; each unit has a ``kind`` that the
registry maps to a config dataclass. Every check raises :class:`ConfigError` with the
dotted path of the key, so a user sees ``units.gemm.rows: must be ...``.
"""

import dataclasses
import difflib
import enum
import re
import types
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from .errors import AccelgenError, ConfigError, require

DEFAULT_CONFIG = "default.yaml"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class UnitConfig:
    """Base of every unit's config; subclasses set ``kind`` (a ClassVar, not a field)."""

    kind: typing.ClassVar[str] = ""


@dataclass(frozen=True)
class DesignConfig:
    name: str
    units: dict
    source: str = "<default>"

    def unit(self, name: str) -> UnitConfig:
        if name not in self.units:
            raise AccelgenError(f"--unit: no unit {name!r} in {self.source}; "
                                f"it has {', '.join(self.units)}")
        return self.units[name]

    def selected(self, name: str | None) -> dict:
        """All units, or only the one a ``--unit`` option named."""
        return dict(self.units) if name is None else {name: self.unit(name)}

    def to_dict(self) -> dict:
        return {"name": self.name,
                "units": {name: unit_to_dict(unit) for name, unit in self.units.items()}}


def unit_to_dict(unit) -> dict:
    out = {"kind": unit.kind}
    for field in dataclasses.fields(unit):
        value = getattr(unit, field.name)
        if isinstance(value, enum.Enum):
            value = value.value
        out[field.name] = list(value) if isinstance(value, tuple) else value
    return out


def _did_you_mean(key: str, allowed) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def _convert(value, kind, field: str):
    """Check one YAML value against a dataclass field type (int, bool, str, Enum, X | None)."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(kind) if option is not type(None)]
        if value is None:
            return None
        return _convert(value, options[0], field)
    if typing.get_origin(kind) is tuple:
        # a list of names (tuple[str, ...]); the unit's own check says which are allowed
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(field, f"must be a list of names, got {value!r}")
        return tuple(value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
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


def build_unit(cls, data: dict) -> UnitConfig:
    """Make a unit config dataclass from a YAML mapping (without its ``kind`` key)."""
    hints = typing.get_type_hints(cls)
    names = [field.name for field in dataclasses.fields(cls)]
    values = {}
    for key, value in data.items():
        if key not in names:
            raise ConfigError(str(key), f"unknown key; {_did_you_mean(str(key), names)}"
                                        f"allowed: kind, {', '.join(names)}")
        values[key] = _convert(value, hints[key], key)
    return cls(**values)


def parse_design(data, source: str) -> DesignConfig:
    """Validate a parsed YAML document and build the design config."""
    from .registry import UNIT_KINDS

    try:
        require(isinstance(data, dict), "", "the config must be a YAML mapping with "
                                            "'name' and 'units'")
        for key in data:
            require(key in ("name", "units"), str(key),
                    f"unknown key; {_did_you_mean(str(key), ['name', 'units'])}"
                    "allowed: name, units")
        require("name" in data, "name", "missing; give the design a name")
        name = data["name"]
        require(isinstance(name, str) and _IDENTIFIER.match(name) is not None, "name",
                f"must be an identifier (letters, digits, _), got {name!r}")
        require("units" in data, "units", "missing; list at least one unit")
        units = data["units"]
        require(isinstance(units, dict) and len(units) > 0, "units",
                "must be a mapping of unit name to unit settings, with at least one unit")
        built = {}
        for unit_name, body in units.items():
            path = f"units.{unit_name}"
            require(isinstance(unit_name, str) and _IDENTIFIER.match(unit_name) is not None,
                    path, "unit names must be identifiers (letters, digits, _)")
            require(isinstance(body, dict), path, "must be a mapping with a 'kind' key")
            require("kind" in body, f"{path}.kind",
                    f"missing; allowed: {', '.join(UNIT_KINDS)}")
            kind = body["kind"]
            require(kind in UNIT_KINDS, f"{path}.kind",
                    f"unknown unit kind {kind!r}; {_did_you_mean(str(kind), UNIT_KINDS)}"
                    f"allowed: {', '.join(UNIT_KINDS)}")
            settings = {key: value for key, value in body.items() if key != "kind"}
            try:
                built[unit_name] = build_unit(UNIT_KINDS[kind].config_class, settings)
            except ConfigError as error:
                raise error.under(path) from None
    except ConfigError as error:
        raise AccelgenError(f"{source}: {error}") from None
    return DesignConfig(name=name, units=built, source=source)


def load_config(path: str | Path | None = None) -> DesignConfig:
    """Load and validate a design config; ``None`` loads the embedded default."""
    if path is None:
        text = resources.files("accelgen.configs").joinpath(DEFAULT_CONFIG).read_text()
        source = DEFAULT_CONFIG
    else:
        path = Path(path)
        source = str(path)
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise AccelgenError(f"{source}: config file not found") from None
        except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
            raise AccelgenError(f"{source}: cannot read config ({error.__class__.__name__})") \
                from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise AccelgenError(f"{source}:{where}: not valid YAML: {problem}") from None
    return parse_design(data, source)
