"""The KV buffer's per-head counters."""

from amaranth.hdl import Array, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from accelgen.kv_config import POSITION_BITS, KVBufferConfig

from .kv_layouts import status_layout


class HeadTable(wiring.Component):
    """Each head's tokens held, tokens appended since its last clear (the next
    position), the slot its next token goes to, and its sticky overflow flag.

    ``length``, ``appended`` and ``write_slot`` show the head that ``head`` selects (0
    for a number past ``heads``). ``clear`` forgets ``clear_head``'s tokens (every
    head's with ``clear_all``); ``refuse`` sets ``head``'s overflow flag; ``commit``
    counts a token stored in ``head``'s write slot (a full head evicts that slot's
    token, which sets the flag too). ``status`` shows every head.
    """

    def __init__(self, config: KVBufferConfig):
        self._config = config
        super().__init__({
            "head": In(config.head_bits),
            "length": Out(range(config.max_tokens + 1)),
            "appended": Out(POSITION_BITS),
            "write_slot": Out(range(config.max_tokens)),
            "clear": In(1), "clear_head": In(config.head_bits), "clear_all": In(1),
            "refuse": In(1), "commit": In(1),
            "status": Out(status_layout(config)),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        max_tokens, heads = config.max_tokens, config.heads
        lengths = [Signal(range(max_tokens + 1), name=f"length{h}") for h in range(heads)]
        appended = [Signal(POSITION_BITS, name=f"appended{h}") for h in range(heads)]
        write_slots = [Signal(range(max_tokens), name=f"write_slot{h}") for h in range(heads)]
        overflows = [Signal(name=f"overflow{h}") for h in range(heads)]
        # head numbers past `heads` (the field may hold them) read 0
        spare = [0] * ((1 << config.head_bits) - heads)
        m.d.comb += [self.length.eq(Array([*lengths, *spare])[self.head]),
                     self.appended.eq(Array([*appended, *spare])[self.head]),
                     self.write_slot.eq(Array([*write_slots, *spare])[self.head])]
        for h in range(heads):
            m.d.comb += [self.status.length[h].eq(lengths[h]),
                         self.status.appended[h].eq(appended[h]),
                         self.status.overflow[h].eq(overflows[h])]
            with m.If(self.head == h):
                with m.If(self.refuse):
                    m.d.sync += overflows[h].eq(1)
                with m.If(self.commit):
                    full = lengths[h] == max_tokens
                    m.d.sync += [overflows[h].eq(overflows[h] | full),
                                 lengths[h].eq(Mux(full, lengths[h], lengths[h] + 1)),
                                 appended[h].eq(appended[h] + 1),
                                 write_slots[h].eq(Mux(write_slots[h] == max_tokens - 1,
                                                       config.ring_base, write_slots[h] + 1))]
            with m.If(self.clear & (self.clear_all | (self.clear_head == h))):
                m.d.sync += [lengths[h].eq(0), appended[h].eq(0), write_slots[h].eq(0),
                             overflows[h].eq(0)]
        return m
