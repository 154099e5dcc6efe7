"""Banks that take turns (weights of the next job loading while the current one
computes; a vector filling while the other is used): picking a bank's state, and the
flags that say which bank may load and which may compute."""

from amaranth.hdl import Module, Mux
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out


def pick(select, values: list):
    """``values[select]`` for one or two banks, as a Mux (not an ``Array``: Icarus never
    evaluates the case block an Array becomes until one of its inputs changes, so a
    ready built that way stays X after reset)."""
    if len(values) == 1:
        return values[0]
    if isinstance(values[0], data.View):
        return data.View(values[0].shape(), Mux(select, values[1].as_value(),
                                                values[0].as_value()))
    return Mux(select, values[1], values[0])


class BankFlags(wiring.Component):
    """Per bank: *busy* while it may not be loaded (from ``occupy`` until ``free``) and
    *full* while a job may compute on it (from ``fill`` until ``empty``); each event
    names its bank. Where a set and a clear meet on one bank, the set wins.

    Members
    -------
    occupy, fill, empty, free : In(1), with occupy_bank, fill_bank, empty_bank, free_bank
    busy, full : Out(banks)
    """

    def __init__(self, banks: int):
        self._banks = banks
        events = ("occupy", "fill", "empty", "free")
        super().__init__({**{event: In(1) for event in events},
                          **{f"{event}_bank": In(range(max(2, banks))) for event in events},
                          "busy": Out(banks), "full": Out(banks)})

    def _event(self, name: str, bank: int):
        return getattr(self, name) & (getattr(self, f"{name}_bank") == bank)

    def elaborate(self, platform):
        m = Module()
        for bank in range(self._banks):
            for flag, clear, set_ in ((self.busy, "free", "occupy"),
                                      (self.full, "empty", "fill")):
                with m.If(self._event(clear, bank)):
                    m.d.sync += flag[bank].eq(0)
                with m.If(self._event(set_, bank)):
                    m.d.sync += flag[bank].eq(1)
        return m
