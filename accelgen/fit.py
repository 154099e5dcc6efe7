"""Does a design fit a device? An estimate from the config alone, before any tool runs.

Memories: each of a unit's large memories (``UnitConfig.memories``) is mapped onto the
device's block RAM in the width x depth mode that needs the fewest blocks (a 20-bit x
300-word memory on iCE40: 2 x 2 blocks of 16 x 256, or 3 x 1 of 8 x 512: 3), or onto the
UP5K's SPRAM (16 x 16384 each). Multipliers: each takes ceil(a/w) x ceil(b/w) DSP cells for
w-bit DSPs; those the device lacks become Booth multipliers in LUTs, as the synthesis
flow does (so too few DSPs is not a refusal). LUTs are not estimated: place-and-route
says. The verdict is "too large" only where the memories cannot fit: an estimate that
never refuses a design that fits.
"""

from dataclasses import dataclass

from .config import DesignConfig


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

    @property
    def problems(self) -> list[str]:
        out = []
        if self.bram_blocks > self.bram_available:
            out.append(f"block RAM {self.bram_blocks} > {self.bram_available}")
        if self.spram_blocks > self.spram_available:
            out.append(f"SPRAM {self.spram_blocks} > {self.spram_available}"
                       + (" (this device has none)" if not self.spram_available else ""))
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
        verdict = "fits" if self.fits else f"too large: {', '.join(self.problems)}"
        return (f"{self.device}: block RAM {self.bram_blocks}/{self.bram_available}{spram}, "
                f"{dsp}: {verdict}")


def blocks_for(memory, device) -> tuple[int, int]:
    """(block RAMs, SPRAM blocks) one memory takes on ``device``."""
    if memory.spram:
        return 0, -(-memory.width // 16) * -(-memory.depth // 16384)
    return min(-(-memory.width // width) * -(-memory.depth // depth)
               for width, depth in device.bram_modes), 0


def estimate(configs, device_name: str) -> Fit:
    """The fit of these unit configs together on one device."""
    from .synth.devices import device as find_device
    dev = find_device(device_name)
    bram = spram = 0
    shapes = []
    for config in configs:
        for memory in config.memories:
            blocks, spram_blocks = blocks_for(memory, dev)
            bram, spram = bram + blocks, spram + spram_blocks
        shapes += config.multiplier_shapes
    return Fit(device_name, bram, dev.bram_blocks, spram, dev.spram_blocks,
               sum(dev.dsp_cells(shape) for shape in shapes), dev.dsp_count,
               dev.soft_multipliers(shapes))


def design_fits(design: DesignConfig, device_name: str) -> Fit:
    return estimate(design.units.values(), device_name)


def require_fit(configs, device_name: str, force: bool) -> Fit:
    """Refuse, before the tools run, what cannot fit (unless forced)."""
    from .errors import AccelgenError
    fit = estimate(configs, device_name)
    if not fit.fits and not force:
        raise AccelgenError(f"{device_name}: the design cannot fit: {', '.join(fit.problems)} "
                            "(estimated from the config; --force tries anyway)")
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
