"""Does a design fit a device? An estimate from the elaborated netlist, before Yosys runs.

Memories: every memory of the netlist goes where yosys puts it: a ``ram_style "huge"``
memory into the UP5K's SPRAM (16 x 16384 each), a ``"block"`` one and any other on iCE40
(which has no LUT RAM) into block RAM in the width x depth mode that needs the fewest
blocks (a 20-bit x 300-word memory on iCE40: 2 x 2 blocks of 16 x 256, or 3 x 1 of
8 x 512: 3); on ECP5 those of up to 32 words or 1 kbit go to LUT RAM (as yosys put them
in the measured builds). Multipliers: the DSP primitives the units instantiate for the
device (hw/dsp.py) count as they are claimed; each other multiplier takes ceil(a/w) x
ceil(b/w) DSP cells for w-bit DSPs, and those the device lacks become Booth multipliers
in LUTs, as the synthesis flow does (so too few DSPs is not a refusal). Logic:
a LUT4 range and flip-flops (accelgen/netlist_estimate.py). The verdict is "too large"
where the memories cannot fit or even the low end of the logic cannot (an iCE40 logic
cell holds one LUT4 and one flip-flop), "may not fit" where only the high end exceeds:
an estimate that never refuses a design that fits.
"""

import functools
import math
from dataclasses import dataclass

from .config import DesignConfig
from .netlist_estimate import FLIP_FLOPS_KEPT, estimate_logic, netlist_memories
from .unit import MemoryUse


@dataclass(frozen=True)
class Fit:
    device: str
    bram_blocks: int
    bram_available: int
    spram_blocks: int
    spram_available: int
    dsp_cells: int
    dsp_available: int
    soft_multipliers: int
    lut_low: int
    lut_high: int
    flip_flops: int
    logic_available: int        # LUT4 sites (iCE40: logic cells of a LUT4 and a flip-flop)

    @property
    def logic_low(self) -> int:
        """The fewest logic sites the design can take: on iCE40 a cell holds a LUT4 and
        a flip-flop, so the flip-flops count too (yosys keeps at least FLIP_FLOPS_KEPT of
        them)."""
        return max(self.lut_low, math.floor(self.flip_flops * FLIP_FLOPS_KEPT))

    @property
    def problems(self) -> list[str]:
        out = []
        if self.bram_blocks > self.bram_available:
            out.append(f"block RAM {self.bram_blocks} > {self.bram_available}")
        if self.spram_blocks > self.spram_available:
            out.append(f"SPRAM {self.spram_blocks} > {self.spram_available}"
                       + (" (this device has none)" if not self.spram_available else ""))
        if self.logic_low > self.logic_available:
            out.append(f"logic at least {self.logic_low} LUT4/flip-flops > "
                       f"{self.logic_available}")
        return out

    @property
    def fits(self) -> bool:
        return not self.problems

    def line(self) -> str:
        dsp = f"DSP {min(self.dsp_cells, self.dsp_available)}/{self.dsp_available}"
        if self.soft_multipliers:
            dsp += f" (+{self.soft_multipliers} multipliers in LUTs)"
        spram = f", SPRAM {self.spram_blocks}/{self.spram_available}" \
            if self.spram_blocks or self.spram_available else ""
        if not self.fits:
            verdict = f"too large: {', '.join(self.problems)}"
        elif max(self.lut_high, self.flip_flops) > self.logic_available:
            verdict = "may not fit (the high end of the logic is larger than the device)"
        else:
            verdict = "fits"
        return (f"{self.device}: LUT4 {self.lut_low}-{self.lut_high}, FF {self.flip_flops} "
                f"of {self.logic_available}; block RAM {self.bram_blocks}/{self.bram_available}"
                f"{spram}, {dsp}: {verdict}")


def blocks_for(memory: MemoryUse, device) -> tuple[int, int]:
    """(block RAMs, SPRAM blocks) one memory takes on ``device``."""
    if memory.spram:
        return 0, -(-memory.width // 16) * -(-memory.depth // 16384)
    return min(-(-memory.width // width) * -(-memory.depth // depth)
               for width, depth in device.bram_modes), 0


def unit_netlists(configs, platform=None) -> list[str]:
    """The RTLIL of each unit, elaborated (what the estimate reads; for ``platform``, a
    DspTarget the units claim DSP primitives from)."""
    from .generation import build_component
    from .netlist_estimate import netlist_text
    return [netlist_text(build_component(config), "unit", platform) for config in configs]


def _datapath_key(dev) -> tuple:
    """What a unit's elaboration depends on for a device: its family and free DSPs, or
    nothing where no DSP primitive can be claimed (then the RTL is the generic one)."""
    from .hw.dsp import DSP_OPERAND_BITS
    if dev.family not in DSP_OPERAND_BITS or dev.dsp_count == 0:
        return None, 0
    return dev.family, dev.dsp_count


@functools.lru_cache(maxsize=64)
def _device_netlists(configs: tuple, family: str | None, dsp_count: int):
    """(netlists, DSP cells claimed, products they hold) of these configs (frozen, so
    hashable) elaborated together for a datapath: `check` estimates nine devices, most
    of which share one."""
    from .hw.dsp import DspTarget
    claims = DspTarget(family, dsp_count) if family else None
    netlists = tuple(unit_netlists(configs, claims))
    return netlists, (claims.cells if claims else 0), (claims.products if claims else 0)


def estimate(configs, device_name: str, netlists: list[str] | None = None,
             claims=None) -> Fit:
    """The fit of these unit configs together on one device, elaborated for it (DSP
    primitives included); ``netlists`` (RTLIL texts) in place of the units' own where
    more than the units goes on it (the link), with the DspTarget ``claims`` they were
    elaborated against."""
    from .synth.devices import device as find_device
    dev = find_device(device_name)
    if netlists is None:
        netlists, cells, covered = _device_netlists(tuple(configs), *_datapath_key(dev))
    else:
        cells, covered = (claims.cells, claims.products) if claims is not None else (0, 0)
    bram = spram = 0
    for text in netlists:
        for memory in (memory for memory, lut_ram in netlist_memories(text, dev.family)
                       if not lut_ram):
            blocks, spram_blocks = blocks_for(memory, dev)
            bram, spram = bram + blocks, spram + spram_blocks
    # the multipliers the primitives hold come first (hw/dsp.py claims as it elaborates);
    # yosys infers the others into the DSPs left, and the widest of those it cannot
    # become Booth multipliers in LUTs
    shapes = [shape for config in configs for shape in config.multiplier_shapes]
    soft = dev.soft_multipliers(shapes, cells, covered)
    left = sorted(shapes[covered:], key=lambda shape: shape[0] * shape[1])
    logic = estimate_logic("\n".join(netlists), dev.family, left[len(left) - soft:]
                           if soft else [])
    return Fit(device_name, bram, dev.bram_blocks, spram, dev.spram_blocks,
               cells + sum(dev.dsp_cells(shape) for shape in left), dev.dsp_count, soft,
               logic.lut_low, logic.lut_high, logic.flip_flops, dev.luts)


def fit_lines(design: DesignConfig, device_names) -> list[str]:
    """What `check` says of the design's fit on each device: all units together (as a
    board's system holds them) and, where they do not fit together, each alone (as
    `synth` synthesizes them)."""
    configs = list(design.units.values())
    lines = []
    for device_name in device_names:
        together = estimate(configs, device_name)
        lines.append(together.line())
        if not together.fits and len(configs) > 1:
            alone = [f"{name} {'fits' if estimate([config], device_name).fits else 'too large'}"
                     for name, config in design.units.items()]
            lines.append(f"  each unit alone (as synth takes it): {', '.join(alone)}")
    return lines


def require_fit(configs, device_name: str, force: bool, netlists: list[str] | None = None,
                what: str = "the design", claims=None) -> Fit:
    """Refuse, before the tools run, what cannot fit (unless forced)."""
    from .errors import AccelgenError
    fit = estimate(configs, device_name, netlists, claims)
    if not fit.fits and not force:
        raise AccelgenError(f"{device_name}: {what} cannot fit: {', '.join(fit.problems)} "
                            "(estimated before synthesis; --force tries anyway)")
    return fit


def derived_lines(name: str, config) -> list[str]:
    """What `check` says of a unit beside its settings: latency, rate, multipliers by
    shape, memories."""
    from collections import Counter
    shapes = Counter(config.multiplier_shapes)
    multipliers = ", ".join(f"{count} x {a}x{b}-bit" for (a, b), count in shapes.items())
    memories = ", ".join(f"{memory.name} {memory.width} x {memory.depth} "
                         f"({memory.bits / 1024:.1f} kbit{', SPRAM' if memory.spram else ''})"
                         for memory in config.memories)
    return [f"{name}: latency {config.latency} cycles; {config.throughput}",
            f"{name}: multipliers: {multipliers or 'none'}; memories: {memories or 'none'}"]
