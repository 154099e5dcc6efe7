"""What the host link carries for one design: its units' ports in wire order, each
port's beat size and buffer, and the identity the device reports.

The gateware (hw/link_system.py) is built from this plan, and the device reports it in
its identity, from which the driver rebuilds it: the two ends cannot number ports or
pack beats differently.
"""

import hashlib
import json
from dataclasses import dataclass

from . import __version__
from .config import DesignConfig, HostConfig
from .registry import UNIT_KINDS


@dataclass(frozen=True)
class LinkPort:
    unit: int               # unit index (wire order: the config's)
    port: int               # port index within the unit's inputs or outputs
    name: str
    payload_bits: int
    last_offset: int        # bit of the payload's `last` field

    @property
    def beat_bytes(self) -> int:
        return -(-self.payload_bits // 8)


@dataclass(frozen=True)
class LinkUnit:
    name: str
    kind: str
    settings: dict          # the unit's resolved config, as in the design file
    inputs: tuple
    outputs: tuple
    status_bits: int = 0    # outputs beside the streams (the KV cache's status bus)

    @property
    def status_bytes(self) -> int:
        return -(-self.status_bits // 8)


@dataclass(frozen=True)
class LinkPlan:
    design: str
    config_hash: str
    units: tuple
    credits: int            # frames each input port buffers
    frame_bytes: int        # largest DATA body
    clock_hz: int
    baud: int

    @property
    def inputs(self) -> list:
        return [port for unit in self.units for port in unit.inputs]

    @property
    def outputs(self) -> list:
        return [port for unit in self.units for port in unit.outputs]

    #: RESULT frames the device keeps until the host acknowledges them
    result_slots: int = 8

    def frame_beats(self, port: LinkPort) -> int:
        """Beats one DATA frame for ``port`` may carry (at least one, however wide)."""
        return max(1, self.frame_bytes // port.beat_bytes)

    def fifo_depth(self, port: LinkPort) -> int:
        """Beats buffered per input port: ``credits`` whole frames, as a power of two."""
        need = self.credits * self.frame_beats(port)
        return 1 << (need - 1).bit_length()

    def unit_index(self, name: str) -> int:
        return [unit.name for unit in self.units].index(name)

    def identity(self) -> dict:
        return {"design": self.design, "config_hash": self.config_hash,
                "accelgen": __version__, "clock_hz": self.clock_hz, "baud": self.baud,
                "credits": self.credits, "frame_bytes": self.frame_bytes,
                "result_slots": self.result_slots,
                "units": [{"name": unit.name, "kind": unit.kind, "config": unit.settings,
                           "inputs": [[port.name, port.payload_bits, port.last_offset]
                                      for port in unit.inputs],
                           "outputs": [[port.name, port.payload_bits, port.last_offset]
                                       for port in unit.outputs],
                           "status_bits": unit.status_bits}
                          for unit in self.units]}

    def identity_bytes(self) -> bytes:
        return json.dumps(self.identity(), separators=(",", ":")).encode()

    @classmethod
    def from_identity(cls, identity: dict) -> "LinkPlan":
        def ports(index, rows):
            return tuple(LinkPort(index, number, name, bits, last)
                         for number, (name, bits, last) in enumerate(rows))
        units = tuple(LinkUnit(unit["name"], unit["kind"], unit["config"],
                               ports(index, unit["inputs"]),
                               ports(index, unit["outputs"]), unit["status_bits"])
                      for index, unit in enumerate(identity["units"]))
        return cls(identity["design"], identity["config_hash"], units, identity["credits"],
                   identity["frame_bytes"], identity["clock_hz"], identity["baud"],
                   identity["result_slots"])


def status_layouts(config) -> dict:
    """A unit's outputs beside its streams (the KV cache's status bus), name to layout:
    the link reports them in its STATUS frame."""
    reference = UNIT_KINDS[config.kind].reference()
    return getattr(reference, "status_layouts", lambda config: {})(config)


def config_hash(design: DesignConfig) -> str:
    """Of the resolved config (units and host link): equal hashes, equal hardware (the
    interface `generate` wraps units in is not part of the units or the linked system)."""
    settings = {key: value for key, value in design.to_dict().items() if key != "interface"}
    text = json.dumps(settings, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def link_plan(design: DesignConfig, clock_hz: int, baud: int) -> LinkPlan:
    host: HostConfig = design.host
    units = []
    for index, (name, config) in enumerate(design.units.items()):
        reference = UNIT_KINDS[config.kind].reference()

        def ports(layouts):
            return tuple(LinkPort(index, number, port, layout.size, layout["last"].offset)
                         for number, (port, layout) in enumerate(layouts.items()))
        settings = {key: value for key, value in config.to_dict().items() if key != "kind"}
        units.append(LinkUnit(name, config.kind, settings, ports(reference.input_layouts(config)),
                              ports(reference.output_layouts(config)),
                              sum(layout.size for layout in status_layouts(config).values())))
    return LinkPlan(design.name, config_hash(design), tuple(units), host.credits,
                    host.frame_bytes, clock_hz, baud)
