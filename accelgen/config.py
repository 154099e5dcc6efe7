"""YAML config → frozen, validated dataclasses.

A design file names the design and its units; each unit has a ``kind`` that the
registry maps to a config dataclass. Every check raises :class:`ConfigError` with the
dotted path of the key, so a user sees ``units.gemm.rows: must be ...``.
"""

import os
import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import yaml

from .errors import AccelgenError, ConfigError, require
from .registry import UNIT_KINDS
from .unit import UnitConfig, did_you_mean

DEFAULT_CONFIG = "default.yaml"
# fullmatch: `$` would let a trailing newline through (into Yosys module names)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


LINKS = ("uart",)


@dataclass(frozen=True)
class HostConfig:
    """The host link of the built system (``host:`` in a design file)."""
    link: str = "uart"
    baud: int | None = None     # None: the board's default
    credits: int = 2            # DATA frames each input port buffers
    frame_bytes: int = 256      # largest DATA body

    def __post_init__(self):
        require(self.link in LINKS, "link", f"must be one of {' | '.join(LINKS)}, "
                                            f"got {self.link!r}")
        require(self.baud is None or 9600 <= self.baud <= 12_000_000, "baud",
                f"must be 9600..12000000, got {self.baud!r}")
        require(1 <= self.credits <= 16, "credits", f"must be 1..16, got {self.credits!r}")
        require(16 <= self.frame_bytes <= 4096, "frame_bytes",
                f"must be 16..4096, got {self.frame_bytes!r}")

    @classmethod
    def from_settings(cls, settings) -> "HostConfig":
        require(isinstance(settings, dict), "", "must be a mapping (link, baud, credits, "
                                                "frame_bytes)")
        names = list(cls.__dataclass_fields__)
        for key, value in settings.items():
            require(key in names, str(key), f"unknown key; {did_you_mean(str(key), names)}"
                                            f"allowed: {', '.join(names)}")
            if key != "link" and not (key == "baud" and value is None):
                require(isinstance(value, int) and not isinstance(value, bool), str(key),
                        f"must be an integer, got {value!r}")
        return cls(**settings)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DesignConfig:
    name: str
    units: dict
    source: str = "<default>"
    host: HostConfig = HostConfig()
    interface: str = "native"      # what `generate` wraps each unit in (generation.py)

    def unit(self, name: str) -> UnitConfig:
        if name not in self.units:
            raise AccelgenError(f"--unit: no unit {name!r} in {self.source}; "
                                f"it has {', '.join(self.units)}")
        return self.units[name]

    def selected(self, name: str | None) -> dict:
        """All units, or only the one a ``--unit`` option named."""
        return dict(self.units) if name is None else {name: self.unit(name)}

    def only(self, names) -> "DesignConfig":
        """The same design with only these units (a board's system of some of them:
        `accelgen build --unit`)."""
        return replace(self, units={name: self.unit(name) for name in names})

    def to_dict(self) -> dict:
        return {"name": self.name,
                "units": {name: unit.to_dict() for name, unit in self.units.items()},
                "host": self.host.to_dict(), "interface": self.interface}


#: what `generate` can wrap each unit in: its own stream ports, or AXI4-Stream
#: (hw/axi_stream.py)
INTERFACES = ("native", "axi-stream")


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
        keys = ["name", "units", "host", "interface"]
        for key in data:
            require(key in keys, str(key),
                    f"unknown key; {did_you_mean(str(key), keys)}allowed: {', '.join(keys)}")
        require("name" in data, "name", "missing; give the design a name")
        name = data["name"]
        require(isinstance(name, str) and _IDENTIFIER.fullmatch(name) is not None, "name",
                f"must be an identifier (letters, digits, _; at most 64), got {name!r}")
        require("units" in data, "units", "missing; list at least one unit")
        units = data["units"]
        require(isinstance(units, dict) and len(units) > 0, "units",
                "must be a mapping of unit name to unit settings, with at least one unit")
        built = {}
        for unit_name, body in units.items():
            path = f"units.{unit_name}"
            require(isinstance(unit_name, str) and _IDENTIFIER.fullmatch(unit_name) is not None,
                    f"units.{unit_name!r}", "unit names must be identifiers (letters, digits, _; at most 64)")
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
        try:
            host = HostConfig.from_settings(data.get("host") or {})
        except ConfigError as error:
            raise error.under("host") from None
        interface = data.get("interface", "native")
        require(interface in INTERFACES, "interface",
                f"must be one of {', '.join(INTERFACES)}, got {interface!r}")
    except ConfigError as error:
        raise AccelgenError(f"{source}: {error}") from None
    return DesignConfig(name=name, units=built, source=source, host=host, interface=interface)


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


def presets() -> dict[str, str]:
    """The packaged presets: name to the first sentence of their leading comment."""
    out = {}
    for entry in sorted(resources.files("accelgen.configs").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            comment = []
            for line in entry.read_text().splitlines():
                if not line.startswith("#"):
                    break
                comment.append(line.lstrip("# ").strip())
            text = " ".join(comment)
            out[entry.name[:-len(".yaml")]] = text.split(". ")[0].rstrip(".")
    return out


def _preset_text(name: str) -> str | None:
    """A packaged preset's text, when ``name`` names one (with or without .yaml) and is
    not a file of the user's."""
    stem = name[:-len(".yaml")] if name.endswith(".yaml") else name
    if "/" in name or Path(name).exists() or stem not in presets():
        return None
    return resources.files("accelgen.configs").joinpath(f"{stem}.yaml").read_text()


def load_config(path: str | Path | None = None) -> DesignConfig:
    """Load and validate a design config: a file, a packaged preset's name
    (``kv_cache``), or ``None`` for the embedded default."""
    if path is None:
        text = resources.files("accelgen.configs").joinpath(DEFAULT_CONFIG).read_text()
        source = DEFAULT_CONFIG
    elif isinstance(path, str) and (preset := _preset_text(path)) is not None:
        text, source = preset, f"preset {path}"
    else:
        if not isinstance(path, (str, os.PathLike)):
            raise AccelgenError(f"config: a path or None (the embedded default), got "
                                f"{type(path).__name__}")
        path = Path(path)
        source = str(path)
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise AccelgenError(f"{source}: config file not found (nor a preset; presets: "
                                f"{', '.join(presets())})") from None
        except OSError as error:
            raise AccelgenError(f"{source[:200]}: cannot read config ({error.strerror})") \
                from None
        except UnicodeDecodeError:
            raise AccelgenError(f"{source}: cannot read config (not UTF-8 text)") from None
        except ValueError:      # a NUL byte in the path
            raise AccelgenError(f"{source!r}: not a valid path") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except RecursionError:
        raise AccelgenError(f"{source}: not valid YAML: nested too deeply") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise AccelgenError(f"{source}:{where}: not valid YAML: {problem}") from None
    return parse_design(data, source)
