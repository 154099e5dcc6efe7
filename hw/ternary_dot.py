"""The multiplier-free heart of the ternary unit: lanes_out dot products of one
activation chunk with lanes_out rows of ternary weights, as adder trees."""

from amaranth.hdl import Module, Mux, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from accelgen.ternary_config import TernaryConfig

from .adder_tree import adder_tree


class TernaryDotProducts(wiring.Component):
    """sums[o] + carries[o] = Σ_i t[o][i]·x[i] for t ∈ {−1, 0, +1}: add, subtract or skip.

    A weight is two bits, ``nonzero`` and ``negative`` (which alone means −1, so that
    the carry below needs no gate). A negative term enters the tree
    as ~x (= −x − 1), and its +1 rides as the carry-in of one of the tree's adders (an
    adder's carry-in costs nothing on a carry chain). A tree of n terms has n − 1 adders,
    so one +1 per row is left over: ``carries[o]``, for the accumulator's carry-in. A term
    thus costs one LUT per bit and no adder of its own. The tree has a register after
    every level; its outputs leave ``config.tree_stages`` cycles after its inputs.

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
            leaves = []
            for lane in range(config.lanes_in):
                index = row * config.lanes_in + lane
                x = self.x[lane]
                negative = self.negative[index]
                leaves.append((Mux(negative, ~x, Mux(self.nonzero[index], x, 0)), 1,
                               [negative]))
            total, _, (carry,) = adder_tree(m, leaves, config.activation_bits, f"row{row}")
            m.d.comb += [self.sums[row].eq(total), self.carries[row].eq(carry)]
        return m
