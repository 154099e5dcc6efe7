"""The FPGA devices accelgen synthesizes for, and the cell names that count as each
resource on them."""

from dataclasses import dataclass

from accelgen.errors import AccelgenError


@dataclass(frozen=True)
class Device:
    name: str
    family: str                 # "ice40" | "ecp5"
    nextpnr_args: tuple
    target_mhz: int             # asked of nextpnr; the achieved Fmax is what we report
    lut_cells: dict             # cell type -> LUT4 sites it takes
    ff_prefix: str
    dsp_cell: str
    dsp_count: int
    dsp_width: int              # signed operand bits of one DSP multiplier
    bram_cells: tuple

    def dsp_cells(self, multiplier_bits: tuple[int, int]) -> int:
        """DSP cells yosys spends on one multiplier of these signed operand widths."""
        a, b = multiplier_bits
        return -(-a // self.dsp_width) * -(-b // self.dsp_width)

    @property
    def synth_command(self) -> str:
        return f"synth_{self.family} {self.synth_options}".strip()

    @property
    def synth_options(self) -> str:
        """What amaranth's board flow must add to its synth_<family> to infer DSPs (and
        on iCE40 SPRAM, for memories marked ram_style "huge")."""
        return {"ice40": "-dsp -spram", "ecp5": ""}[self.family]

    @property
    def nextpnr(self) -> str:
        return f"yowasp-nextpnr-{self.family}"


_ICE40 = dict(family="ice40", target_mhz=100, lut_cells={"SB_LUT4": 1}, ff_prefix="SB_DFF",
              dsp_cell="SB_MAC16", dsp_width=16, bram_cells=("SB_RAM40_4K", "SB_SPRAM256KA"))
# a CCU2C carry cell holds two LUT4s; a TRELLIS_DPR16X4 LUT RAM takes a slice's LUTs
_ECP5 = dict(family="ecp5", target_mhz=200, lut_cells={"LUT4": 1, "CCU2C": 2,
                                                       "TRELLIS_DPR16X4": 4},
             ff_prefix="TRELLIS_FF", dsp_cell="MULT18X18D", dsp_width=18, bram_cells=("DP16KD",))

DEVICES = {
    "ice40-up5k": Device("ice40-up5k", nextpnr_args=("--up5k", "--package", "sg48"),
                         dsp_count=8, **_ICE40),
    "ecp5-25k": Device("ecp5-25k", nextpnr_args=("--25k", "--package", "CABGA381",
                                                 "--speed", "6"), dsp_count=28, **_ECP5),
    "ecp5-45k": Device("ecp5-45k", nextpnr_args=("--45k", "--package", "CABGA381",
                                                 "--speed", "6"), dsp_count=72, **_ECP5),
    "ecp5-85k": Device("ecp5-85k", nextpnr_args=("--85k", "--package", "CABGA381",
                                                 "--speed", "6"), dsp_count=156, **_ECP5),
}


def device(name: str) -> Device:
    if name not in DEVICES:
        raise AccelgenError(f"--device: unknown device {name!r}; allowed: "
                            f"{', '.join(DEVICES)}")
    return DEVICES[name]
