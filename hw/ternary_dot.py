"""The multiplier-free heart of the ternary unit: lanes_out dot products of one
activation chunk with lanes_out rows of ternary weights, as adder trees."""

from amaranth.hdl import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from accelgen.ternary_config import TernaryConfig

from .pipeline import data_register


def chunk_sum_bits(config: TernaryConfig) -> int:
    """Exact width of one chunk's sum: |Σ t·x| <= lanes_in · 2^(bits−1)."""
    return (config.lanes_in << (config.activation_bits - 1)).bit_length() + 1


class TernaryDotProducts(wiring.Component):
    """sums[o] = Σ_i t[o][i]·x[i] for t ∈ {−1, 0, +1}: add, subtract or skip.

    A weight is two bits, ``nonzero`` and ``negative``. A negative term enters the tree
    as ~x (= −x − 1) and the tree adds the count of negative terms once, so a term costs
    one LUT per bit and no adder of its own. The tree is registered after every
    adder level; the sums leave ``config.tree_stages`` cycles after their inputs.

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
            "sums": Out(data.ArrayLayout(signed(chunk_sum_bits(config)), config.lanes_out)),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        width = chunk_sum_bits(config)
        for row in range(config.lanes_out):
            terms, negatives = [], []
            for lane in range(config.lanes_in):
                index = row * config.lanes_in + lane
                x = self.x[lane]
                negative = self.negative[index] & self.nonzero[index]
                terms.append(Mux(self.nonzero[index], Mux(negative, ~x, x), 0))
                negatives.append(negative)
            terms.append(sum(negatives[1:], negatives[0]))
            m.d.comb += self.sums[row].eq(_adder_tree(m, terms, width, f"row{row}"))
        return m


def _adder_tree(m, terms: list, width: int, name: str):
    """Σ terms by pairwise adders with a register after every level. The registers
    keep each adder a carry chain of its own: yosys turns unregistered adder trees into
    carry-save trees of LUTs, which on LUT4 fabric cost twice as much. They hold data
    only (valid bits travel beside the datapath)."""
    level = 0
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
                 for i in range(0, len(terms), 2)]
        level += 1
        registers = []
        for index, term in enumerate(terms):
            register = data_register(signed(width), f"{name}_l{level}_{index}")
            m.d.sync += register.eq(term)
            registers.append(register)
        terms = registers
    return terms[0]
