"""Weight-stationary systolic array: each PE holds one weight, partial sums flow down."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import data, wiring

from accelgen.numbers import index_range
from accelgen.systolic_config import SystolicConfig

from .banks import BankFlags, pick
from .credit_fifo import result_fifo
from .pipeline import data_register, delay, taps
from .dsp import DSP_ROUTE_STAGE, RegisteredProducts, column_pair_order, packs_pairs
from .olive_operands import decoded_elements, multiplicand, shifted_product, single_steps
from .systolic_layouts import (accumulator_shape, multiplicand_shape, result_layout,
                               stream_signature, weight_shape, weight_step_layout)

_FLAGS = data.StructLayout({"valid": 1, "last": 1, "bank": 1})


class WeightStationaryArray(wiring.Component):
    """y = a·W for a stream of activation vectors against a resident rows x cols tile.

    Job n is weight tile n (rows beats on ``weights``, row r on beat r; a tile ends at
    ``last`` or after ``rows`` beats, and rows it did not send are zero) followed by any
    number of vectors on ``activations`` (``last`` on the final one). Each vector gives
    one ``result`` beat, with the same ``last``. Two weight banks let tile n+1 load while
    job n computes; the bank select travels with the activations, so a job never sees
    another job's weights.

    Parameters
    ----------
    config : SystolicConfig
    """

    def __init__(self, config: SystolicConfig):
        assert not config.output_stationary
        self._config = config
        super().__init__(stream_signature(config))

    def elaborate(self, platform):
        config = self._config
        rows, cols = config.rows, config.cols
        m = Module()

        results = result_fifo(m, self.result, result_layout(config),
                              depth=config.result_fifo_depth, max_reserve=1)

        # Bank bookkeeping. A bank is busy from its tile's final row until the last vector
        # of its job has passed the bottom-right PE (then it may be reloaded), and full
        # until its job's last vector enters (then the next job may not use it).
        m.submodules.banks = banks = BankFlags(2)
        load_bank = Signal()
        load_row = Signal(index_range(rows))
        compute_bank = Signal()

        # rows of OVP codes come two a beat: decoded at the edge, one row a cycle (the
        # second of a beat is padding where the first ends a tile of odd rows)
        weights = single_steps(m, config, self.weights, weight_step_layout(config),
                               whole=(load_row == rows - 1) if rows % 2 else 0)
        loading = weights.valid & weights.ready
        tile_done = weights.payload.last | (load_row == rows - 1)
        m.d.comb += weights.ready.eq(~pick(load_bank, [banks.busy[0], banks.busy[1]]))
        with m.If(loading):
            m.d.sync += load_row.eq(0 if rows == 1 else load_row + 1)
            with m.If(tile_done):
                m.d.sync += [load_row.eq(0), load_bank.eq(~load_bank)]
        # An accepted row is written into its bank one cycle later, from registers: the
        # write enables of every PE then hang off flip-flops, not off the handshake.
        # The bank turns busy in that cycle too, which is in time: the loader has moved
        # on to the other bank, and needs at least a cycle to come back.
        write = Signal(data.StructLayout({"valid": 1, "bank": 1, "tile_done": 1}))
        write_row = data_register(weights.payload.w.shape(), "write_row")
        m.d.sync += [write.valid.eq(loading), write.bank.eq(load_bank),
                     write.tile_done.eq(tile_done), write_row.eq(weights.payload.w)]
        # each PE row's bank enables decoded in that same register stage (a tile's first
        # row also clears the rows it may not send), so that an enable is a flip-flop:
        # decoded behind it they were 3 LUTs in front of 2 x rows x cols x weight enables,
        # the 8x8 INT8 array's critical path on ECP5
        enables = [[Signal(name=f"write_enable{i}_bank{bank}") for bank in range(2)]
                   for i in range(rows)]
        hits = [Signal(name=f"write_hit{i}") for i in range(rows)]
        for i in range(rows):
            m.d.sync += hits[i].eq(load_row == i)
            for bank in range(2):
                m.d.sync += enables[i][bank].eq(
                    loading & (load_bank == bank) & ((load_row == i) | (load_row == 0)))

        issue = Signal()
        m.d.comb += [
            self.activations.ready.eq(pick(compute_bank, [banks.full[0], banks.full[1]]) &
                                     results.can_reserve),
            issue.eq(self.activations.valid & self.activations.ready),
            results.reserve.eq(issue),
        ]
        job_done = issue & self.activations.payload.last
        with m.If(job_done):
            m.d.sync += compute_bank.eq(~compute_bank)

        flags = Signal(_FLAGS)
        m.d.comb += [flags.valid.eq(issue), flags.last.eq(self.activations.payload.last),
                     flags.bank.eq(compute_bank)]
        # PE (i, j) sees its activation i + j + 1 cycles after issue and picks its weight
        # bank in the same cycle; both go to the multiplier's input registers, the
        # product register follows, then its copy in the fabric (DSP_ROUTE_STAGE), and
        # the sum from above is added one cycle later.
        diagonal = taps(m, flags, rows + cols + 3, name="flags")

        release = diagonal[rows + cols - 1]  # the last PE's bank select
        tile_written = write.valid & write.tile_done
        m.d.comb += [banks.occupy.eq(tile_written), banks.occupy_bank.eq(write.bank),
                     banks.fill.eq(tile_written), banks.fill_bank.eq(write.bank),
                     banks.empty.eq(job_done), banks.empty_bank.eq(compute_bank),
                     banks.free.eq(release.valid & release.last),
                     banks.free_bank.eq(release.bank)]

        # OVP activation pairs are neighbours in the vector: decoded as they enter
        vector = decoded_elements(m, config, "activation", self.activations.payload.a,
                                  name="a_code")
        a_in = [delay(m, vector[i], i, name=f"a_skew{i}") for i in range(rows)]
        from_above = [0] * cols
        # the multipliers' input registers take the activation after the chain register
        # and the weight picked from its bank; their output registers hold the products
        # (in the target's DSPs where it has them: hw/dsp.py). Where two products sharing
        # an activation fit one DSP (INT4 weights on ECP5), PE (i, j + 1) for odd j + 1
        # multiplies a cycle early, with PE (i, j)'s activation and the bank select of
        # that cycle, and delays its product by a register: what every PE sees is unchanged.
        # An OVP operand (olive_products: shift) gives the multiplier its mantissa; its
        # exponent shifts the product on the way into the fabric (hw/olive_operands.py).
        weight = weight_shape(config)
        a_shape, w_shape = (multiplicand_shape(config, "activation"),
                            multiplicand_shape(config, "weight"))
        paired = packs_pairs(platform, a_shape, w_shape)
        order, pairs = column_pair_order(rows, cols, paired)
        m.submodules.products = products = RegisteredProducts(
            a_shape, w_shape, rows * cols, shared_pairs=pairs)
        for i in range(rows):
            for j in range(cols):
                held = [data_register(weight, f"w_{i}_{j}_bank{bank}") for bank in range(2)]
                a = data_register(a_in[i].shape(), f"a_{i}_{j}")
                k = order.index((i, j))
                early = paired and j % 2 == 1
                partial = data_register(accumulator_shape(config), f"sum_{i}_{j}")
                a_taken = a_in[i] if early else a
                w_taken = Signal(weight, name=f"w_{i}_{j}_taken")
                m.d.comb += [w_taken.eq(pick(diagonal[i + j + 1 - early].bank, held)),
                             products.a[k].eq(multiplicand(a_taken)),
                             products.b[k].eq(multiplicand(w_taken))]
                product = delay(m, shifted_product(m, config, products.p[k], a_taken, w_taken,
                                                   name=f"product_{i}_{j}"),
                                DSP_ROUTE_STAGE + early, name=f"product_{i}_{j}")
                m.d.sync += [
                    a.eq(a_in[i]),
                    partial.eq(from_above[j] + product),
                ]
                a_in[i], from_above[j] = a, partial
                for bank in range(2):
                    with m.If(enables[i][bank]):
                        m.d.sync += held[bank].eq(Mux(hits[i], write_row[j], 0))

        # Column j leaves the bottom row j cycles after column 0: de-skew, then capture.
        capture = diagonal[rows + cols + 3]
        m.d.comb += [results.w_en.eq(capture.valid), results.w_data.last.eq(capture.last)]
        for j in range(cols):
            m.d.comb += results.w_data.y[j].eq(
                delay(m, from_above[j], cols - 1 - j, name=f"y_deskew{j}"))
        return m
