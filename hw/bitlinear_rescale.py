"""BitLinear output stage: integer row sums times the weight scale and the activation
scale, in fixed point. The only multipliers of the ternary unit outside its MLGRU cell."""

from amaranth.hdl import Module, Mux, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from accelgen.ternary_config import SCALE_BITS, TernaryConfig

from .arithmetic import round_saturate
from .dsp import PRODUCT_LATENCY, RegisteredProducts
from .pipeline import data_register

class BitLinearRescale(wiring.Component):
    """y[o] = sat(round(sums[o] · c / 2^F)), c = weight_scale · activation_scale exactly.

    The sums (with ``rows_valid``) enter a register first: on a large unit the DSPs
    sit columns away from the adders. The scales arrive SCALES_AHEAD cycles ahead of
    the sums, so c is ready with the registered sums. Every product is a registered one
    (hw/dsp.py: a DSP with its own registers on the device): c, and per lane the row sum
    times each 16-bit half of c. Lanes ``o >= rows_valid`` (padding rows of a matrix)
    give 0. The halves' products are added and rounded half up once; results leave
    ``config.rescale_stages`` cycles after the sums (golden:
    golden.ternary.combined_scale and rescale).

    Parameters
    ----------
    config : TernaryConfig
    """

    SCALES_AHEAD = PRODUCT_LATENCY - 1

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
        m.submodules.scale = scale = RegisteredProducts(unsigned(SCALE_BITS),
                                                        unsigned(SCALE_BITS))
        m.d.comb += [scale.a[0].eq(self.weight_scale), scale.b[0].eq(self.activation_scale)]
        c = scale.p[0]
        # per lane: the low half's product at 2·lane, the high half's at 2·lane + 1
        m.submodules.halves = halves = RegisteredProducts(
            signed(config.sum_bits), unsigned(SCALE_BITS), 2 * config.lanes_out)
        for lane in range(config.lanes_out):
            in_matrix = data_register(signed(config.sum_bits), f"sum{lane}")
            m.d.sync += in_matrix.eq(Mux(lane < self.rows_valid, self.sums[lane], 0))
            m.d.comb += [halves.a[2 * lane].eq(in_matrix), halves.a[2 * lane + 1].eq(in_matrix),
                         halves.b[2 * lane].eq(c[:SCALE_BITS]),
                         halves.b[2 * lane + 1].eq(c[SCALE_BITS:])]
            product = data_register(signed(config.sum_bits + 2 * SCALE_BITS),
                                    f"product{lane}")
            m.d.sync += product.eq(halves.p[2 * lane] + (halves.p[2 * lane + 1] << SCALE_BITS))
            y = data_register(signed(config.output_bits), f"y{lane}")
            m.d.sync += y.eq(round_saturate(product, config.scale_fraction_bits,
                                            config.output_bits))
            m.d.comb += self.y[lane].eq(y)
        return m
