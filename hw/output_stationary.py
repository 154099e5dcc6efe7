"""Output-stationary systolic array: each PE owns one element of the output tile."""

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import data, wiring

from accelgen.systolic_config import SystolicConfig

from .credit_fifo import result_fifo
from .dsp import DSP_ROUTE_STAGE, RegisteredProducts, column_pair_order, packs_pairs
from .olive_operands import multiplicand, shifted_product, single_steps
from .pipeline import data_register, delay, taps
from .systolic_layouts import (accumulator_shape, multiplicand_shape, operand_step_layout,
                               result_layout, stream_signature)

# Control bits of one issued beat; they travel along the anti-diagonals with the data.
# `last` is set only on an issued beat (valid too), so a PE's clear is one flip-flop.
_FLAGS = data.StructLayout({"valid": 1, "last": 1})


def _any_of(values):
    """OR of the values as a balanced tree."""
    while len(values) > 1:
        values = [values[k] | values[k + 1] if k + 1 < len(values) else values[k]
                  for k in range(0, len(values), 2)]
    return values[0]


class OutputStationaryArray(wiring.Component):
    """C = Aᵀ·W for a rows x cols tile, reducing over K beats chosen at run time.

    A job is K beats on ``operands`` (column k of A, row k of W; ``last`` on beat K-1);
    the tile comes back as ``rows`` beats on ``result``, row i of C on beat i,
    ``last`` on the final row. Jobs follow each other without a gap: each PE copies its
    finished sum to a result register and starts the next job on the following beat,
    while the result rows drain through a credited FIFO.

    Parameters
    ----------
    config : SystolicConfig
    """

    def __init__(self, config: SystolicConfig):
        assert config.output_stationary
        self._config = config
        super().__init__(stream_signature(config))

    def elaborate(self, platform):
        config = self._config
        rows, cols = config.rows, config.cols
        m = Module()

        results = result_fifo(m, self.result, result_layout(config),
                              depth=config.result_fifo_depth, max_reserve=rows)

        # beats of OVP codes carry two steps: decoded at the edge, one step a cycle
        operands = single_steps(m, config, self.operands, operand_step_layout(config))
        # An input register, so that the issue decision may look at `last` without
        # making `operands.ready` depend on the payload.
        held = data_register(operand_step_layout(config), "held")
        held_valid = Signal()
        # A last beat needs room for a whole tile, and job_spacing cycles since the
        # previous last beat (see SystolicConfig.job_spacing). Both conditions are kept
        # in registers, so that `operands.ready` is a single LUT.
        since_last = Signal(range(config.job_spacing + 1), init=config.job_spacing)
        spaced = Signal(init=1)
        issue = Signal()
        m.d.comb += [
            issue.eq(held_valid & (~held.last | (spaced & results.can_reserve))),
            operands.ready.eq(~held_valid | issue),
            results.reserve.eq(Mux(issue & held.last, rows, 0)),
        ]
        with m.If(operands.valid & operands.ready):
            m.d.sync += [held.eq(operands.payload), held_valid.eq(1)]
        with m.Elif(issue):
            m.d.sync += held_valid.eq(0)
        with m.If(issue & held.last):
            m.d.sync += [since_last.eq(1), spaced.eq(config.job_spacing == 1)]
        with m.Elif(since_last != config.job_spacing):
            m.d.sync += [since_last.eq(since_last + 1),
                         spaced.eq(since_last + 1 == config.job_spacing)]

        flags = Signal(_FLAGS)
        m.d.comb += [flags.valid.eq(issue), flags.last.eq(issue & held.last)]
        # PE (i, j) sees its operands i + j + 1 cycles after issue, copies them into the
        # multiplier's own input registers, multiplies into a product register, copies
        # the product into the fabric (DSP_ROUTE_STAGE) and accumulates a cycle later.
        diagonal = taps(m, flags, rows + cols + 3, name="flags")

        a_in = [delay(m, held.a[i], i, name=f"a_skew{i}") for i in range(rows)]
        w_in = [delay(m, held.w[j], j, name=f"w_skew{j}") for j in range(cols)]
        # every PE's product two cycles after its chain registers: in the target's DSPs
        # with their input and output registers where it has them (hw/dsp.py). Where two
        # products sharing an activation fit one DSP (INT4 weights on ECP5), PE (i, j + 1)
        # for odd j + 1 multiplies a cycle early, the operands its chain registers are
        # about to take (the activation is PE (i, j)'s), and delays its product. An OVP
        # operand (olive_products: shift) gives the multiplier its mantissa; its exponent
        # shifts the product on the way into the fabric (hw/olive_operands.py).
        a_shape, w_shape = (multiplicand_shape(config, "activation"),
                            multiplicand_shape(config, "weight"))
        paired = packs_pairs(platform, a_shape, w_shape)
        order, pairs = column_pair_order(rows, cols, paired)
        m.submodules.products = products = RegisteredProducts(
            a_shape, w_shape, rows * cols, shared_pairs=pairs)
        finished = [[None] * cols for _ in range(rows)]
        for i in range(rows):
            for j in range(cols):
                a = data_register(a_in[i].shape(), f"a_{i}_{j}")
                w = data_register(w_in[j].shape(), f"w_{i}_{j}")
                k = order.index((i, j))
                early = paired and j % 2 == 1
                a_taken, w_taken = (a_in[i], w_in[j]) if early else (a, w)
                product = delay(m, shifted_product(m, config, products.p[k], a_taken, w_taken,
                                                   name=f"product_{i}_{j}"),
                                DSP_ROUTE_STAGE + early, name=f"product_{i}_{j}")
                # the accumulator is cleared as its sum leaves (not gated as the next
                # job starts), so the adder feeds it directly and the clear costs only
                # the flip-flops' synchronous reset; it needs `rst` for the same reason.
                # The clear comes first and does not depend on the enable: a reset that
                # only acts when enabled has no flip-flop on ECP5 (a LUT per bit was
                # 1,536 of the 8x8 INT8 array's 4,715 LUT4)
                accumulator = Signal(accumulator_shape(config), name=f"acc_{i}_{j}")
                finished[i][j] = data_register(accumulator_shape(config), f"finished_{i}_{j}")
                m.d.sync += [a.eq(a_in[i]), w.eq(w_in[j])]
                m.d.comb += [products.a[k].eq(multiplicand(a_taken)),
                             products.b[k].eq(multiplicand(w_taken))]
                a_in[i], w_in[j] = a, w
                step = diagonal[i + j + 4]
                total = accumulator + product
                with m.If(step.last):
                    m.d.sync += [accumulator.eq(0), finished[i][j].eq(total)]
                with m.Elif(step.valid):
                    m.d.sync += accumulator.eq(total)

        # Row i is complete once PE (i, cols-1) has finished: capture it into a row
        # register, then the FIFO (the select, the AND-OR tree and the FIFO's write port
        # in one cycle were the critical path once the multipliers sat in their DSPs).
        # At most one row is captured per cycle, so an AND-OR tree selects it (shallower
        # than the priority chain an If/Elif ladder would give); its selects are
        # registers of their own.
        captures = [Signal(name=f"capture{i}") for i in range(rows)]
        m.d.sync += [capture.eq(diagonal[i + cols + 3].last)
                     for i, capture in enumerate(captures)]
        row = data_register(results.w_data.shape(), "row")
        row_valid = Signal()
        m.d.sync += [row_valid.eq(Cat(*captures).any()), row.last.eq(captures[-1])]
        for j in range(cols):
            m.d.sync += row.y[j].eq(
                _any_of([Mux(captures[i], finished[i][j], 0) for i in range(rows)]))
        m.d.comb += [results.w_en.eq(row_valid), results.w_data.eq(row)]
        return m
