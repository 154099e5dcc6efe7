"""The bit-serial PEs: ``pes`` dot products of one activation chunk with ``pes`` rows
of weights taken ``bits_per_cycle`` bit planes at a time, summed into group partial
sums."""

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from accelgen.bitserial_config import BitSerialConfig

from .adder_tree import adder_tree
from .bitmod_decoder import mantissa_layout
from .pipeline import data_register, taps


class BitPlaneDots(wiring.Component):
    """Per cycle with ``valid``: for each row and each of the ``bits_per_cycle`` planes
    at ``step`` (planes step·b .. step·b + b − 1 of M; a plane past the row's ``top``,
    its sign bit, reads the sign bit), add x·2^s of the lanes whose
    plane bit is set (an AND, not a multiplier), in a registered adder tree. A chunk
    runs its steps from the top down; its sum builds up as c ← 2^b·c + planes, the top
    plane subtracting (``first``: two's complement). ``last`` ends the chunk: its sum
    adds to the group's (cleared by ``group_first``), and with ``group_end`` the group's
    partial sums leave on ``sums`` with ``done``, ``config.dot_stages`` cycles after that step.

    ``next_step`` and ``next_top`` are the step and tops of the next cycle: the clamped
    plane index is a register per row and plane, so that the step's compare and select
    are not in front of every term (on the UP5K they were the unit's critical path).

    Parameters
    ----------
    config : BitSerialConfig
    """

    def __init__(self, config: BitSerialConfig):
        self._config = config
        super().__init__({
            "weights": In(data.ArrayLayout(mantissa_layout(config), config.pes * config.lanes)),
            "x": In(data.ArrayLayout(signed(config.activation_bits), config.lanes)),
            "next_top": In(data.ArrayLayout(range(config.stored_bits), config.pes)),
            "next_step": In(range(config.planes // config.bits_per_cycle)),
            "valid": In(1), "first": In(1), "last": In(1),
            "group_first": In(1), "group_end": In(1),
            "sums": Out(data.ArrayLayout(signed(config.group_sum_bits), config.pes)),
            "done": Out(1),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        lanes, b = config.lanes, config.bits_per_cycle
        flags = Signal(data.StructLayout({"valid": 1, "first": 1, "last": 1,
                                          "group_first": 1, "group_end": 1}))
        m.d.comb += [flags.valid.eq(self.valid), flags.first.eq(self.first),
                     flags.last.eq(self.last), flags.group_first.eq(self.group_first),
                     flags.group_end.eq(self.group_end)]
        stage = taps(m, flags, config.dot_stages, name="flags")
        at_planes = stage[1 + config.tree_stages]   # plane sums leave the trees
        at_chunk = stage[2 + config.tree_stages]    # their signed sum is in a register
        at_group = stage[3 + config.tree_stages]    # the chunk register holds its sum
        for row in range(config.pes):
            shifted = [self.x[lane] << self.weights[row * lanes + lane].s
                       for lane in range(lanes)]
            plane_sums = []
            for plane in range(b):
                # planes above the row's sign bit read the sign bit: one clamp per row
                next_index = self.next_step * b + plane
                index = Signal(range(config.stored_bits), name=f"index{row}_{plane}")
                m.d.sync += index.eq(Mux(next_index > self.next_top[row], self.next_top[row],
                                         next_index))
                leaves = []
                for lane in range(lanes):
                    weight = self.weights[row * lanes + lane]
                    bit = weight.m.bit_select(index, 1)
                    # a register per term: the tree's first level reads flip-flops
                    term = data_register(signed(config.shifted_bits),
                                         f"term{row}_{plane}_{lane}")
                    m.d.sync += term.eq(Mux(bit, shifted[lane], 0))
                    leaves.append((term, 1, []))
                total, _, _ = adder_tree(m, leaves, config.shifted_bits, f"row{row}_p{plane}")
                plane_sums.append(total)
            # the top plane of a chunk's first step subtracts; a register of its own, so
            # that the negation and the chunk's adder are not one path
            top = plane_sums[-1] << (b - 1)
            planes = data_register(signed(config.plane_sum_bits + b), f"planes{row}")
            m.d.sync += planes.eq(sum((plane_sums[plane] << plane for plane in range(b - 1)),
                                      Mux(at_planes.first, -top, top)))
            chunk = data_register(signed(config.chunk_bits), f"chunk{row}")
            with m.If(at_chunk.valid):
                m.d.sync += chunk.eq(Mux(at_chunk.first, 0, chunk << b) + planes)
            group = data_register(signed(config.group_sum_bits), f"group{row}")
            with m.If(at_group.valid & at_group.last):
                m.d.sync += group.eq(Mux(at_group.group_first, 0, group) + chunk)
            m.d.comb += self.sums[row].eq(group)
        done = stage[config.dot_stages]
        m.d.comb += self.done.eq(done.valid & done.last & done.group_end)
        return m
