"""The walk over a KV head's tokens in position order."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from accelgen.kv_config import POSITION_BITS, KVBufferConfig, Policy

from .arithmetic import multiply_by_constant


class TokenWalker(wiring.Component):
    """A head's tokens in position order: its sinks first, then its ring from the oldest
    token; for each, its ``row`` (head·max_tokens + slot), the ``base`` address of its
    code words (row·2·chunks), its ``index`` in the walk and its ``position``.

    A walk is set up in three registered steps, one strobe each: ``setup_head`` takes
    the head's ``length`` and ``write_slot`` (``held`` shows the length from then on),
    ``setup_rows`` the rows where the walk starts, leaves the sinks and wraps,
    ``setup_positions`` the positions (from ``appended``); the start addresses follow
    a cycle later. ``load`` starts a walk over ``count`` tokens (``tokens_left`` counts
    them down); ``step`` moves to the next token, jumping to precomputed rows and
    addresses at the sink-to-ring and wrap-around points, so no multiplier sits in the
    address path. ``load`` wins over ``step`` in the same cycle.
    """

    def __init__(self, config: KVBufferConfig):
        self._config = config
        tokens = range(config.max_tokens + 1)
        super().__init__({
            "head": In(config.head_bits), "length": In(tokens),
            "write_slot": In(range(config.max_tokens)), "appended": In(POSITION_BITS),
            "setup_head": In(1), "setup_rows": In(1), "setup_positions": In(1),
            "load": In(1), "count": In(tokens), "step": In(1),
            "held": Out(tokens), "tokens_left": Out(tokens),
            "row": Out(range(config.rows)), "base": Out(range(config.code_depth)),
            "index": Out(range(config.max_tokens)), "position": Out(POSITION_BITS),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        max_tokens, stride = config.max_tokens, 2 * config.chunks
        sinks = config.sink_tokens
        sinks_held = Signal(range(max_tokens + 1))
        ring_count = Signal(range(max_tokens + 1))
        ring_slot = Signal(range(max_tokens))
        ring_position = Signal(POSITION_BITS)
        first_position = Signal(POSITION_BITS)
        head_row = Signal(range(config.rows))
        start_slot = Signal(range(max_tokens))
        # rows and code addresses where a walk starts, where it leaves the sinks for the
        # ring, where the ring wraps around
        start_row, ring_row, wrap_row = (Signal(range(config.rows), name=name)
                                         for name in ("start_row", "ring_row", "wrap_row"))
        start_address, ring_address, wrap_address = (
            Signal(range(config.code_depth), name=name)
            for name in ("start_address", "ring_address", "wrap_address"))
        m.d.sync += [start_address.eq(multiply_by_constant(start_row, stride)),
                     ring_address.eq(multiply_by_constant(ring_row, stride)),
                     wrap_address.eq(multiply_by_constant(wrap_row, stride))]

        with m.If(self.setup_head):
            length = self.length
            m.d.sync += [self.held.eq(length),
                         head_row.eq(multiply_by_constant(self.head, max_tokens))]
            m.d.sync += sinks_held.eq(Mux(length < sinks, length, sinks) if sinks else 0)
            if config.policy is not Policy.NONE:
                m.d.sync += ring_slot.eq(Mux(length == max_tokens, self.write_slot,
                                             config.ring_base))
            else:
                m.d.sync += ring_slot.eq(0)
        with m.If(self.setup_rows):
            m.d.sync += [ring_count.eq(self.held - sinks_held),
                         start_slot.eq(Mux(sinks_held != 0, 0, ring_slot)),
                         start_row.eq(head_row + Mux(sinks_held != 0, 0, ring_slot)),
                         ring_row.eq(head_row + ring_slot),
                         wrap_row.eq(head_row + config.ring_base)]
        with m.If(self.setup_positions):
            m.d.sync += [ring_position.eq(self.appended - ring_count),
                         first_position.eq(Mux(sinks_held != 0, 0,
                                               self.appended - ring_count))]

        slot = Signal(range(max_tokens))
        in_sinks = Signal()
        with m.If(self.step):
            m.d.sync += [self.index.eq(self.index + 1), self.tokens_left.eq(self.tokens_left - 1)]
            with m.If(in_sinks & (slot == sinks_held - 1)):
                m.d.sync += [slot.eq(ring_slot), self.row.eq(ring_row),
                             self.base.eq(ring_address), in_sinks.eq(0),
                             self.position.eq(ring_position)]
            with m.Elif(slot == max_tokens - 1):
                m.d.sync += [slot.eq(config.ring_base), self.row.eq(wrap_row),
                             self.base.eq(wrap_address), self.position.eq(self.position + 1)]
            with m.Else():
                m.d.sync += [slot.eq(slot + 1), self.row.eq(self.row + 1),
                             self.base.eq(self.base + stride),
                             self.position.eq(self.position + 1)]
        with m.If(self.load):
            m.d.sync += [slot.eq(start_slot), self.row.eq(start_row),
                         self.base.eq(start_address), in_sinks.eq(sinks_held != 0),
                         self.tokens_left.eq(self.count), self.index.eq(0),
                         self.position.eq(first_position)]
        return m
