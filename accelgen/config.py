"""YAML config → frozen, validated dataclasses.

A design file names the design and its units; each unit has a ``kind`` that the
registry maps to a config dataclass. Every check raises :class:`ConfigError` with the
dotted path of the key, so a user sees ``units.gemm.rows: must be ...``.
"""

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from .errors import AccelgenError, ConfigError, require
from .registry import UNIT_KINDS
from .unit import UnitConfig, did_you_mean

DEFAULT_CONFIG = "default.yaml"
# fullmatch: `$` would let a trailing newline through (into Yosys module names)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
                "units": {name: unit.to_dict() for name, unit in self.units.items()}}


def single_unit_design(name: str, unit: str, kind: str, source: str | None = None,
                       **settings) -> DesignConfig:
    """A design of one unit, validated as a YAML file with these settings would be."""
    return parse_design({"name": name, "units": {unit: {"kind": kind, **settings}}},
                        source or name)


def parse_design(data, source: str) -> DesignConfig:
    """Validate a parsed YAML document and build the design config."""
    try:
        require(isinstance(data, dict), "", "the config must be a YAML mapping with "
                                            "'name' and 'units'")
        for key in data:
            require(key in ("name", "units"), str(key),
                    f"unknown key; {did_you_mean(str(key), ['name', 'units'])}"
                    "allowed: name, units")
        require("name" in data, "name", "missing; give the design a name")
        name = data["name"]
        require(isinstance(name, str) and _IDENTIFIER.fullmatch(name) is not None, "name",
                f"must be an identifier (letters, digits, _), got {name!r}")
        require("units" in data, "units", "missing; list at least one unit")
        units = data["units"]
        require(isinstance(units, dict) and len(units) > 0, "units",
                "must be a mapping of unit name to unit settings, with at least one unit")
        built = {}
        for unit_name, body in units.items():
            path = f"units.{unit_name}"
            require(isinstance(unit_name, str) and _IDENTIFIER.fullmatch(unit_name) is not None,
                    f"units.{unit_name!r}", "unit names must be identifiers (letters, digits, _)")
            require(isinstance(body, dict), path, "must be a mapping with a 'kind' key")
            require("kind" in body, f"{path}.kind",
                    f"missing; allowed: {', '.join(UNIT_KINDS)}")
            kind = body["kind"]
            require(isinstance(kind, str) and kind in UNIT_KINDS, f"{path}.kind",
                    f"unknown unit kind {kind!r}; {did_you_mean(str(kind), UNIT_KINDS)}"
                    f"allowed: {', '.join(UNIT_KINDS)}")
            settings = {key: value for key, value in body.items() if key != "kind"}
            try:
                built[unit_name] = UNIT_KINDS[kind].config_class.from_settings(settings)
            except ConfigError as error:
                raise error.under(path) from None
    except ConfigError as error:
        raise AccelgenError(f"{source}: {error}") from None
    return DesignConfig(name=name, units=built, source=source)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, but a key given twice in one mapping is an error (PyYAML
    keeps the last one silently: a unit or setting would vanish)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice in one mapping", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


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
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise AccelgenError(f"{source}:{where}: not valid YAML: {problem}") from None
    return parse_design(data, source)
