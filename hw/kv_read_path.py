"""The KV buffer's read datapath: words read → products → weighted-value sums and
scores."""

from amaranth.hdl import Module, Mux, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from accelgen.kv_config import OPERAND_BITS, QUERY_BITS, WEIGHT_BITS, KVBufferConfig

from .adder_tree import adder_tree
from .arithmetic import round_shift
from .kv_layouts import Op, read_item_layout
from .pipeline import data_register, delay


class ReadPath(wiring.Component):
    """Stages 2 to the score of the read pipeline, all moving on ``advance``.

    Stage 2 holds the words read (``code``, ``scale``, ``weight``, ``query``) for the
    item ``at2``; they are registered (3), w_t = p_t·a_t is rounded to the lanes'
    operand width (4), each lane multiplies its code by q_i or w_t (5). Value items
    (``at5``) add the products into ``sums``, a sum per lane over a pass's tokens;
    score items add the lanes' tree into a sum over the token's chunks (``at_sum``),
    then multiply it by the token's scale: ``score``.
    """

    def __init__(self, config: KVBufferConfig):
        self._config = config
        item = read_item_layout()
        super().__init__({
            "advance": In(1),
            "at2": In(item), "at4": In(item), "at5": In(item), "at_sum": In(item),
            "code": In(unsigned(config.word_bits)),
            "scale": In(unsigned(config.scale_bits)),
            "weight": In(unsigned(WEIGHT_BITS)),
            "query": In(data.ArrayLayout(signed(QUERY_BITS), config.lanes)),
            "sums": Out(data.ArrayLayout(signed(config.result_bits), config.lanes)),
            "score": Out(signed(config.result_bits)),
        })

    def elaborate(self, platform):
        config = self._config
        m = Module()
        lanes, advance = config.lanes, self.advance
        at2, at4, at5, at_sum = self.at2, self.at4, self.at5, self.at_sum

        # --- stage 2 -> 3: the words read, registered (block RAM outputs are slow) -------
        operand_shape = signed(OPERAND_BITS)
        codes3 = data_register(data.ArrayLayout(signed(config.kv_bits), lanes), "codes3")
        queries3 = data_register(data.ArrayLayout(operand_shape, lanes), "queries3")
        scale3 = data_register(unsigned(config.scale_bits), "scale3")
        p3 = data_register(unsigned(WEIGHT_BITS), "p3")
        with m.If(advance):
            # null items (acks, empty heads) may point at words never written: zeros,
            # so that no undefined bit reaches an answer
            m.d.sync += [codes3.eq(Mux(at2.null, 0, self.code)),
                         scale3.eq(Mux(at2.null, 0, self.scale)),
                         p3.eq(Mux(at2.p_direct, at2.p, self.weight))]
            for j in range(lanes):
                m.d.sync += queries3[j].eq(Mux(at2.null | at2.q_zero, 0, self.query[j]))

        # --- stage 3 -> 4: w_t = p_t·a_t, rounded to the lanes' operand width ---------------
        weight4 = data_register(operand_shape, "weight4")
        with m.If(advance):
            m.d.sync += weight4.eq(round_shift(p3 * scale3, config.weight_shift))
            codes4 = delay(m, codes3, 1, name="codes4")
            queries4 = delay(m, queries3, 1, name="queries4")

        # --- stage 4 -> 5: a product per lane ----------------------------------------------
        products = [data_register(signed(OPERAND_BITS + config.kv_bits), f"product{j}")
                    for j in range(lanes)]
        with m.If(advance):
            for j in range(lanes):
                operand = Mux(at4.op == Op.VALUE, weight4, queries4[j])
                m.d.sync += products[j].eq(codes4[j] * operand)

        # --- weighted values: a sum per lane over the pass's tokens --------------------------
        sums = [data_register(signed(config.result_bits), f"value_sum{j}") for j in range(lanes)]
        with m.If(advance & at5.valid & (at5.op == Op.VALUE)):
            for j in range(lanes):
                m.d.sync += sums[j].eq(Mux(at5.pass_first, 0, sums[j]) + products[j])
        m.d.comb += [self.sums[j].eq(sums[j]) for j in range(lanes)]

        # --- scores: the lanes' tree, the sum over chunks, times the token's scale -----------
        with m.If(advance):
            chunk_sum, _, _ = adder_tree(m, [(p, 1, []) for p in products],
                                         OPERAND_BITS + config.kv_bits, "score_tree")
        dot = data_register(signed(config.dot_bits), "dot")
        with m.If(advance & at_sum.valid):
            m.d.sync += dot.eq(Mux(at_sum.token_first, 0, dot) + chunk_sum)
        with m.If(advance):
            scale_at_dot = delay(m, scale3, 3 + config.tree_stages, name="score_scale")
        score = data_register(signed(config.result_bits), "score")
        with m.If(advance):
            m.d.sync += score.eq(dot * scale_at_dot)
        m.d.comb += self.score.eq(score)
        return m
