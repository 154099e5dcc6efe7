"""Result FIFO with credits: space is reserved when work enters a pipeline, so the
pipeline never has to stall and its results always find a slot."""

from amaranth.hdl import Module, Signal, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out


class CreditFIFO(wiring.Component):
    """A FIFO whose free space is handed out in advance.

    A pipeline asks for ``reserve`` slots (granted the same cycle if ``credits`` covers
    them), and later writes exactly that many entries with ``w_en``; they leave through
    the ``result`` stream under any back-pressure.

    Parameters
    ----------
    payload_layout : ShapeLike
    depth : int
    max_reserve : int
        Largest number of slots asked for at once.

    Members
    -------
    reserve : In(range(max_reserve + 1))
    credits : Out(range(depth + 1))
        Slots neither reserved nor filled.
    can_reserve : Out(1)
        ``credits >= max_reserve``, registered (computed from the next credit count), so
        a ready that depends on it is one LUT from a register.
    w_en, w_data : In
    result : Out(stream.Signature(payload_layout))
    """

    def __init__(self, payload_layout, *, depth: int, max_reserve: int):
        if not 1 <= max_reserve <= depth:
            raise ValueError(f"max_reserve must be 1..depth ({depth}), got {max_reserve}")
        self._depth = depth
        self._max_reserve = max_reserve
        super().__init__({
            "reserve": In(unsigned(max_reserve.bit_length())),
            "credits": Out(range(depth + 1), init=depth),
            "can_reserve": Out(1, init=1),
            "w_en": In(1),
            "w_data": In(payload_layout),
            "result": Out(stream.Signature(payload_layout)),
        })

    def elaborate(self, platform):
        m = Module()
        # SyncFIFOBuffered refuses writes when its memory part (depth - 1 entries) is
        # full even if its output register is about to take one; one spare entry makes
        # every credited write land.
        m.submodules.fifo = fifo = SyncFIFOBuffered(width=len(self.w_data.as_value()),
                                                    depth=self._depth + 1)
        m.d.comb += [
            fifo.w_en.eq(self.w_en),
            fifo.w_data.eq(self.w_data),
            self.result.valid.eq(fifo.r_rdy),
            self.result.payload.eq(fifo.r_data),
            fifo.r_en.eq(self.result.ready),
        ]
        returned = Signal(range(2))
        m.d.comb += returned.eq(self.result.valid & self.result.ready)
        next_credits = Signal.like(self.credits)
        m.d.comb += next_credits.eq(self.credits - self.reserve + returned)
        m.d.sync += [self.credits.eq(next_credits),
                     self.can_reserve.eq(next_credits >= self._max_reserve)]
        return m


def result_fifo(m, result, payload_layout, *, depth: int, max_reserve: int) -> CreditFIFO:
    """A CreditFIFO added to ``m`` that feeds the component's ``result`` stream."""
    m.submodules.results = fifo = CreditFIFO(payload_layout, depth=depth,
                                             max_reserve=max_reserve)
    wiring.connect(m, wiring.flipped(result), fifo.result)
    return fifo
