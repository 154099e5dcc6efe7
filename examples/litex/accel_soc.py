"""A generated unit inside a LiteX SoC: the unit's AXI4-Stream wrapper instantiated
with ``Instance`` and ``platform.add_source``, every stream port behind CSRs, and a
UARTBone so that a host reads and writes them (litex_server + RemoteClient) with no CPU.

    python examples/litex/accel_soc.py [CONFIG] [--unit U] [--output DIR]

writes DIR/gateware/accel_soc.v (the SoC) beside the unit's Verilog, and the CSR map
DIR/csr.csv. No toolchain runs: build the bitstream with LiteX's own flow, or lint it
as tests/test_examples.py does. The platform is a bare ECP5 part with a clock, a reset
and UART pins (put your board's LiteX platform in its place).

Per input port ``p``: ``p_data`` and ``p_last`` (CSRStorage) hold a beat, a write to
``p_push`` offers it, ``p_busy`` says it has not been taken yet. Per output port:
``p_data`` and ``p_flags`` (valid, last) show the beat in front, a write to ``p_pop``
takes it. Other output ports (the KV buffer's ``status``) are CSRStatus.
"""

import argparse
import json
import sys
from pathlib import Path

from litex.build.generic_platform import IOStandard, Pins, Subsignal
from litex.build.lattice import LatticeECP5Platform
from litex.gen import ClockDomain, ClockSignal, Instance, LiteXModule, ResetSignal, Signal, If
from litex.soc.integration.builder import Builder
from litex.soc.integration.soc_core import SoCMini
from litex.soc.interconnect.csr import CSR, CSRField, CSRStatus, CSRStorage

from accelgen import generate, load_config

CLOCK_HZ = 25_000_000
_IO = [
    ("clk25", 0, Pins("G2"), IOStandard("LVCMOS33")),
    ("reset", 0, Pins("R1"), IOStandard("LVCMOS33")),
    ("serial", 0, Subsignal("tx", Pins("L4")), Subsignal("rx", Pins("M1")),
     IOStandard("LVCMOS33")),
]


class Platform(LatticeECP5Platform):
    default_clk_name, default_clk_period = "clk25", 1e9 / CLOCK_HZ

    def __init__(self):
        super().__init__("LFE5U-25F-6BG381C", _IO, toolchain="trellis")


class AcceleratorCSRs(LiteXModule):
    """The AXI4-Stream wrapper of one unit (its manifest's ``axi_stream`` section)
    with each port behind CSRs."""

    def __init__(self, manifest: dict):
        axi = manifest["axi_stream"]
        connections = dict(i_aclk=ClockSignal(), i_aresetn=~ResetSignal())
        for port in axi["ports"]:
            name, prefix, bits = port["stream"], port["prefix"], port["tdata_bits"]
            valid, ready = Signal(), Signal()
            if port["direction"] == "input":
                data = CSRStorage(bits, name=f"{name}_data", description="a beat's tdata")
                last = CSRStorage(1, name=f"{name}_last", description="its tlast")
                push = CSR(name=f"{name}_push")
                busy = CSRStatus(1, name=f"{name}_busy", description="offered, not taken")
                self.sync += If(push.re, valid.eq(1)).Elif(ready, valid.eq(0))
                self.comb += busy.status.eq(valid)
                connections.update({f"i_{prefix}_tdata": data.storage,
                                    f"i_{prefix}_tvalid": valid,
                                    f"o_{prefix}_tready": ready,
                                    f"i_{prefix}_tlast": last.storage})
                csrs = [data, last, push, busy]
            else:
                data = CSRStatus(bits, name=f"{name}_data", description="the beat in front")
                flags = CSRStatus(name=f"{name}_flags", fields=[
                    CSRField("valid", size=1), CSRField("last", size=1)])
                pop = CSR(name=f"{name}_pop")
                self.comb += [ready.eq(pop.re), flags.fields.valid.eq(valid)]
                connections.update({f"o_{prefix}_tdata": data.status,
                                    f"o_{prefix}_tvalid": valid,
                                    f"i_{prefix}_tready": ready,
                                    f"o_{prefix}_tlast": flags.fields.last})
                csrs = [data, flags, pop]
            for csr in csrs:
                setattr(self, csr.name, csr)
        for port in manifest["ports"]:
            if port["name"] in axi["other_ports"] and port["direction"] == "output":
                status = CSRStatus(port["width"], name=port["name"])
                setattr(self, port["name"], status)
                connections[f"o_{port['name']}"] = status.status
        self.specials += Instance(axi["module"], **connections)


class AcceleratorSoC(SoCMini):
    def __init__(self, platform: Platform, manifest: dict, wrapper: Path):
        self.cd_sys = ClockDomain()
        self.comb += [self.cd_sys.clk.eq(platform.request("clk25")),
                      self.cd_sys.rst.eq(platform.request("reset"))]
        super().__init__(platform, CLOCK_HZ, ident="accelgen unit on LiteX")
        self.add_uartbone(baudrate=115_200)
        platform.add_source(str(wrapper))
        self.accelerator = AcceleratorCSRs(manifest)


def build(config: str | None, unit: str | None, output: Path) -> Path:
    """Generate the unit's wrapper, then write the SoC's Verilog; returns its path."""
    design = load_config(config)
    unit = unit or next(iter(design.units))
    made, = generate(design, output / "accelgen", unit, interface="axi-stream")
    manifest = json.loads(made.manifest.read_text())
    soc = AcceleratorSoC(Platform(), manifest, made.axi_stream.resolve())
    builder = Builder(soc, output_dir=str(output), compile_software=False,
                      compile_gateware=False, csr_csv=str(output / "csr.csv"))
    builder.build(build_name="accel_soc", run=False)
    return output / "gateware" / "accel_soc.v"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", nargs="?", help="YAML file or preset (default: the "
                                                  "embedded default)")
    parser.add_argument("--unit", help="the unit (default: the design's first)")
    parser.add_argument("--output", default="build/litex", help="output folder")
    args = parser.parse_args(argv)
    verilog = build(args.config, args.unit, Path(args.output))
    print(f"LiteX SoC: {verilog} (CSR map {Path(args.output) / 'csr.csv'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
