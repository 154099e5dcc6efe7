"""The multiplier-free heart of the ternary unit: lanes_out dot products of one
activation chunk with lanes_out rows of ternary weights, as adder trees."""

from amaranth.hdl import Module, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from accelgen.ternary_config import TernaryConfig

from .adder_tree import adder_tree, register_level
from .ternary_adder import ternary_add, ternary_select


class TernaryDotProducts(wiring.Component):
    """sums[o] + carries[o] = Σ_i t[o][i]·x[i] for t ∈ {−1, 0, +1}: add, subtract or skip.

    A weight is two bits, ``nonzero`` and ``negative`` (which alone means −1, so that
    the carry below needs no gate). The first level adds lanes in pairs, the second
    lane's select folded into the adder (hw/ternary_adder.py: on ECP5 one LUT4 per sum
    bit for both). The first lane of a pair enters as ~x (= −x − 1) when negative, and
    its +1 rides as the carry-in of one of the adders above (an adder's carry-in costs
    nothing on a carry chain). A tree of n terms has n/2 pairs and n/2 − 1 adders above
    them, so one +1 per row is left over: ``carries[o]``, for the accumulator's
    carry-in. The tree has a register after every level; its outputs leave
    ``config.tree_stages`` cycles after its inputs.

    Parameters
    ----------
    config : TernaryConfig
    """

    def __init__(self, config: TernaryConfig):
        self._config = config
        lanes = config.lanes_out * config.lanes_in
        super().__init__({
            "nonzero": In(lanes),
            "negative": In(lanes),
            "x": In(data.ArrayLayout(signed(config.activation_bits), config.lanes_in)),
            "sums": Out(data.ArrayLayout(signed(config.chunk_sum_bits), config.lanes_out)),
            "carries": Out(config.lanes_out),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        for row in range(config.lanes_out):
            weight = [(self.nonzero[row * config.lanes_in + lane],
                       self.negative[row * config.lanes_in + lane])
                      for lane in range(config.lanes_in)]
            leaves = [(ternary_select(self.x[lane], *weight[lane]), 1, [weight[lane][1]])
                      for lane in range(config.lanes_in)]
            pairs = [(ternary_add(m, platform, leaves[lane][0], self.x[lane + 1],
                                  *weight[lane + 1], f"row{row}_pair{lane // 2}"),
                      2, leaves[lane][2])
                     for lane in range(0, config.lanes_in - 1, 2)]
            if pairs:
                leaves = register_level(m, pairs + leaves[2 * len(pairs):],
                                        config.activation_bits, f"row{row}_l1")
            total, _, (carry,) = adder_tree(m, leaves, config.activation_bits, f"row{row}",
                                            level=1)
            m.d.comb += [self.sums[row].eq(total), self.carries[row].eq(carry)]
        return m
