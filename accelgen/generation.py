"""Config → Verilog module and JSON manifest per unit."""

import json
from dataclasses import dataclass
from pathlib import Path

from .config import DesignConfig
from .files import write_atomically
from .registry import UNIT_KINDS


def module_name(design: DesignConfig, unit_name: str) -> str:
    return f"{design.name}_{unit_name}"


def default_build_dir(design: DesignConfig) -> Path:
    return Path("build") / design.name


def build_component(config):
    return UNIT_KINDS[config.kind].component(config)


def _payload_fields(layout) -> list:
    from .payload import field_slots
    return [{"name": name, "offset": offset, "element_bits": width,
             "elements": length or 1, "signed": bool(is_signed)}
            for name, offset, width, length, is_signed in field_slots(layout)]


def axi_stream_module(design: DesignConfig, unit_name: str) -> str:
    return f"{module_name(design, unit_name)}_axis"


def axi_stream_manifest(design: DesignConfig, unit_name: str, component) -> dict:
    """The manifest's description of the AXI4-Stream wrapper (hw/axi_stream.py)."""
    from .hw.axi_stream import axi_ports
    ports = []
    for port in axi_ports(component.signature):
        layout = getattr(component, port.stream).payload.shape()
        fields = [{**field, "offset": field["offset"] - (
                      port.last_offset is not None and field["offset"] > port.last_offset)}
                  for field in _payload_fields(layout) if field["name"] != "last"]
        ports.append({"stream": port.stream, "prefix": port.prefix,
                      "direction": "output" if port.is_output else "input",
                      "tdata_bits": port.tdata_bits, "tlast": port.last_offset is not None,
                      "tdata_fields": fields})
    others = [name for name, member in component.signature.members.items() if member.is_port]
    return {"module": axi_stream_module(design, unit_name), "clock": "aclk",
            "reset": "aresetn: synchronous, active low",
            "tdata": "the payload's fields without last, in the same order, LSB first, "
                     "padded with zero bits to whole bytes; no tkeep (every beat is whole)",
            "tlast": "the payload's last field", "ports": ports, "other_ports": others}


def manifest(design: DesignConfig, unit_name: str, component) -> dict:
    """Everything another flow needs to use the module without reading the Python: the
    ports as Amaranth's ComponentMetadata describes them, with the accelgen annotation
    (accelgen/metadata.py) for the layouts, latency and job protocol."""
    from amaranth.lib import data

    from . import __version__
    from .link_plan import config_hash
    from .metadata import UnitAnnotation, component_metadata, ports_of

    config = design.units[unit_name]
    layouts = {}
    for path, member in component.signature.members.flatten():
        if member.is_port and isinstance(member.shape, data.StructLayout):
            # a stream's payload, or a struct port (the KV buffer's status bus)
            layouts["__".join(map(str, path))] = {"bits": member.shape.size,
                                                  "fields": _payload_fields(member.shape)}
    annotation = UnitAnnotation(component, {
        "kind": config.kind, "accelgen": __version__, "config_hash": config_hash(design),
        "config": config.to_dict(), "layouts": layouts, "element_order": "lsb_first",
        "latency_cycles": config.latency, "throughput": config.throughput,
        "job_protocol": " ".join((type(component).__doc__ or "").split("\n\n")[1].split()),
    })
    metadata = component_metadata(component, annotation)

    ports = [{"name": "clk", "direction": "input", "width": 1, "role": "clock"},
             {"name": "rst", "direction": "input", "width": 1,
              "role": "synchronous reset, active high"}]
    streams = {}
    for path, port in ports_of(metadata):
        entry = {"name": port["name"], "direction": "input" if port["dir"] == "in" else "output",
                 "width": port["width"], "role": path[-1] if len(path) > 1 else "control"}
        layout = layouts.get(port["name"])
        if layout is not None and len(path) == 1:
            entry["fields"] = layout["fields"]          # e.g. the KV status bus
        ports.append(entry)
        if layout is not None and path[-1] == "payload":
            streams[path[0]] = {"direction": entry["direction"],
                                "payload_bits": layout["bits"], "fields": layout["fields"]}
    described = annotation.as_json()
    return {
        "module": module_name(design, unit_name),
        "unit": unit_name,
        "kind": config.kind,
        "accelgen": described["accelgen"],
        "config_hash": described["config_hash"],
        "config": described["config"],
        "field_packing": "element e of a field is bits offset + e*element_bits .. "
                         "offset + (e+1)*element_bits - 1 of the payload, LSB first; "
                         "signed elements are two's complement",
        "element_order": "lsb_first",
        "clock_domain": "sync (clk, rst: synchronous, active high)",
        "ports": ports,
        "streams": streams,
        "stream_protocol": "valid/ready: a beat transfers on a rising clk edge where valid "
                           "and ready are both high; valid and payload hold until then",
        "latency_cycles": config.latency,
        "throughput": config.throughput,
        "job_protocol": described["job_protocol"],
        "metadata": metadata,
    }


@dataclass(frozen=True)
class Generated:
    unit: str
    module: str
    verilog: Path
    manifest: Path
    axi_stream: Path | None = None       # the AXI4-Stream wrapper, where asked for


def _verilog(component, name: str, target) -> str:
    from amaranth.back import rtlil, verilog

    from .netlist import drop_memory_init
    # verilog.convert, with the RTLIL step open so that uninitialized memories lose
    # their initializer (amaranth 0.5's text-to-Verilog step is internal)
    return verilog._convert_rtlil_text(drop_memory_init(
        rtlil.convert(component, name=name, emit_src=False, platform=target)))


def render_unit(design: DesignConfig, unit_name: str, device_name: str | None = None,
                interface: str = "native") -> tuple[str, str, str | None]:
    """The unit's Verilog, its manifest (JSON text) and, for ``interface`` axi-stream,
    the Verilog of its AXI4-Stream wrapper (which holds the unit: one file to add):
    generic RTL, or with ``device_name`` the datapath for that device (its DSP
    primitives, hw/dsp.py)."""
    from .hw.axi_stream import AxiStreamWrapper
    from .metadata import check_manifest
    from .progress import step
    from .synth.devices import device

    target = device(device_name).dsp_target() if device_name else None
    with step(f"elaborating {unit_name}" + (f" for {device_name}" if device_name else "")):
        component = build_component(design.units[unit_name])
        text = _verilog(component, module_name(design, unit_name), target)
        described = manifest(design, unit_name, component)
        described["datapath"] = datapath(device_name, target)
        wrapper = None
        if interface == "axi-stream":
            described["axi_stream"] = axi_stream_manifest(design, unit_name, component)
            wrapper = _verilog(AxiStreamWrapper(build_component(design.units[unit_name])),
                               axi_stream_module(design, unit_name), target)
        check_manifest(described)
        return text, json.dumps(described, indent=2) + "\n", wrapper


def datapath(device_name: str | None, target) -> dict:
    """What the manifest says of the netlist's datapath: generic, or which DSP primitives
    it instantiates (each with its input and output registers) and how many ternary adds
    it folds into carry chains (hw/ternary_adder.py)."""
    if target is None:
        return {"target": "generic", "dsp_primitives": 0, "dsp_products": 0,
                "carry_chain_adders": 0}
    from .synth.devices import device
    return {"target": device_name, "dsp_primitives": target.cells,
            "dsp_products": target.products,
            "dsp_cell": device(device_name).dsp_cell,
            "dsp_registers": "inputs and output (2 cycles)",
            "carry_chain_adders": target.carry_adders}


def _write_unit(design: DesignConfig, unit_name: str, out_dir: Path, rendered) -> Generated:
    text, manifest_text, wrapper = rendered
    out_dir = Path(out_dir)
    verilog_path = write_atomically(out_dir / f"{unit_name}.v", text)
    manifest_path = write_atomically(out_dir / f"{unit_name}.json", manifest_text)
    wrapper_path = None
    if wrapper is not None:
        wrapper_path = write_atomically(out_dir / f"{unit_name}_axis.v", wrapper)
    return Generated(unit_name, module_name(design, unit_name), verilog_path, manifest_path,
                     wrapper_path)


def generate_unit(design: DesignConfig, unit_name: str, out_dir: Path,
                  device_name: str | None = None, interface: str = "native") -> Generated:
    return _write_unit(design, unit_name, out_dir,
                       render_unit(design, unit_name, device_name, interface))


def generate(design: DesignConfig, out_dir: str | Path | None = None,
             unit: str | None = None, device_name: str | None = None,
             interface: str | None = None) -> list[Generated]:
    """Write ``<unit>.v`` and ``<unit>.json`` for every unit (or one) of the design,
    ``<unit>_axis.v`` where the interface (``interface``, else the design's) is
    axi-stream, and the FuseSoC core ``<design>.core`` (accelgen/fusesoc.py): every unit
    is elaborated before the first file is written.
    ``device_name``: the datapath for that device (generic RTL without)."""
    out_dir = Path(out_dir) if out_dir is not None else default_build_dir(design)
    interface = interface or design.interface
    rendered = {name: render_unit(design, name, device_name, interface)
                for name in design.selected(unit)}
    made = [_write_unit(design, name, out_dir, texts) for name, texts in rendered.items()]
    from .fusesoc import write_core
    write_core(design, made, out_dir)
    return made
