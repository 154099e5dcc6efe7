"""BitLinear output stage: integer row sums times the weight scale and the activation
scale, in fixed point. The only multipliers of the ternary unit outside its MLGRU cell."""

from amaranth.hdl import Module, Mux, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from accelgen.ternary_config import SCALE_BITS, TernaryConfig

from .arithmetic import round_saturate
from .pipeline import data_register

class BitLinearRescale(wiring.Component):
    """y[o] = sat(round(sums[o] · c / 2^F)), c = weight_scale · activation_scale exactly.

    The scales arrive one cycle ahead of the sums (c is ready when they come, and each
    lane takes a copy of its own, so no register drives every DSP). Lanes
    ``o >= rows_valid`` (padding rows of a matrix) give 0. One multiplier forms c,
    one per lane forms the product, rounded half up once; results leave
    ``config.rescale_stages`` cycles after the inputs (golden:
    golden.ternary.combined_scale and rescale).

    Parameters
    ----------
    config : TernaryConfig
    """

    def __init__(self, config: TernaryConfig):
        self._config = config
        super().__init__({
            "sums": In(data.ArrayLayout(signed(config.sum_bits), config.lanes_out)),
            "rows_valid": In(range(config.lanes_out + 1)),
            "weight_scale": In(unsigned(SCALE_BITS)),
            "activation_scale": In(unsigned(SCALE_BITS)),
            "y": Out(data.ArrayLayout(signed(config.output_bits), config.lanes_out)),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        scale = data_register(unsigned(2 * SCALE_BITS), "scale")
        m.d.sync += scale.eq(self.weight_scale * self.activation_scale)
        for lane in range(config.lanes_out):
            held = data_register(signed(config.sum_bits), f"sum{lane}")
            lane_scale = data_register(unsigned(2 * SCALE_BITS), f"scale{lane}")
            m.d.sync += [held.eq(Mux(lane < self.rows_valid, self.sums[lane], 0)),
                         lane_scale.eq(scale)]
            low = data_register(signed(config.sum_bits + SCALE_BITS + 1), f"low{lane}")
            high = data_register(signed(config.sum_bits + SCALE_BITS + 1), f"high{lane}")
            m.d.sync += [low.eq(held * lane_scale[:SCALE_BITS]),
                         high.eq(held * lane_scale[SCALE_BITS:])]
            product = data_register(signed(config.sum_bits + 2 * SCALE_BITS),
                                    f"product{lane}")
            m.d.sync += product.eq(low + (high << SCALE_BITS))
            y = data_register(signed(config.output_bits), f"y{lane}")
            m.d.sync += y.eq(round_saturate(product, config.scale_fraction_bits,
                                            config.output_bits))
            m.d.comb += self.y[lane].eq(y)
        return m
