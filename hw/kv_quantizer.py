"""Absmax quantization of one token's K and V on their way into the cache."""

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from accelgen.kv_config import KVBufferConfig
from accelgen.numbers import index_range

from .pipeline import delay, taps


class KVQuantizer(wiring.Component):
    """Stages a token's K and V vectors, element by element, keeping each one's absmax
    a = max min(|x|, 2^(b-1) - 1); then, on ``run``, turns them into code words:
    c = sign(x)·floor((2·qmax·|x| + a) / 2a) by restoring division, one quotient bit
    per pipeline stage, one element per cycle, K's words then V's.

    Members
    -------
    clear : In(1)       forget the staged absmax values (a new token)
    write_en, write_index, k, v : In: stage element ``write_index`` of K and V
    received : In       elements staged for this token; the rest count as 0
    run : In(1)         start turning the staged vectors into words
    word_valid, word, word_kind, word_chunk : Out: a code word (kind 0 K, 1 V)
    done : Out(1)       the last word is out
    scale_k, scale_v : Out: the absmax values (the scales stored with the codes)
    """

    def __init__(self, config: KVBufferConfig):
        self._config = config
        element = signed(config.input_bits)
        super().__init__({
            "clear": In(1),
            "write_en": In(1), "write_index": In(index_range(config.head_dim)),
            "k": In(element), "v": In(element),
            "received": In(range(config.head_dim + 1)),
            "run": In(1),
            "word_valid": Out(1),
            "word": Out(data.ArrayLayout(signed(config.kv_bits), config.lanes)),
            "word_kind": Out(1),
            "word_chunk": Out(index_range(config.chunks)),
            "done": Out(1),
            "scale_k": Out(unsigned(config.scale_bits)),
            "scale_v": Out(unsigned(config.scale_bits)),
        })

    def magnitude(self, x):
        """|x| clipped to the symmetric range (|-2^(b-1)| counts as 2^(b-1) - 1)."""
        top = (1 << self._config.scale_bits) - 1
        absolute = Mux(x[-1], -x, x).as_unsigned()
        return Mux(absolute > top, top, absolute)[:self._config.scale_bits]

    def elaborate(self, platform):
        config = self._config
        m = Module()
        head_dim, lanes = config.head_dim, config.lanes

        # --- staging: one element per cycle, so one narrow block RAM per vector ------
        # The element is registered before its write, and its magnitude before the
        # absmax compare: the lane select, |x| and the compare are three carry chains.
        write_en = Signal()
        write_index = Signal.like(self.write_index)
        m.d.sync += [write_en.eq(self.write_en), write_index.eq(self.write_index)]
        staged = []
        for name, value, scale in (("k", self.k, self.scale_k), ("v", self.v, self.scale_v)):
            element = Signal.like(value, name=f"element_{name}")
            m.d.sync += element.eq(value)
            memory = Memory(shape=value.shape(), depth=head_dim, init=[],
                            attrs={"ram_style": "block"})
            m.submodules[f"staging_{name}"] = memory
            write, read = memory.write_port(), memory.read_port()
            m.d.comb += [write.en.eq(write_en), write.addr.eq(write_index),
                         write.data.eq(element)]
            magnitude = Signal(config.scale_bits, name=f"magnitude_{name}")
            magnitude_valid = Signal(name=f"magnitude_{name}_valid")
            m.d.sync += [magnitude.eq(self.magnitude(element)), magnitude_valid.eq(write_en)]
            with m.If(self.clear):
                m.d.sync += scale.eq(0)
            with m.Elif(magnitude_valid & (magnitude > scale)):
                m.d.sync += scale.eq(magnitude)
            staged.append(read)

        # --- reading the staged elements back: K's, then V's -------------------------
        reading = Signal()
        kind = Signal()
        index = Signal(index_range(head_dim))
        lane = Signal(index_range(lanes))
        chunk = Signal(index_range(config.chunks))
        final = (index == head_dim - 1) & kind
        with m.If(self.run):
            m.d.sync += [reading.eq(1), kind.eq(0), index.eq(0), lane.eq(0), chunk.eq(0)]
        with m.Elif(reading):
            word_end = (lane == lanes - 1) | (index == head_dim - 1)
            m.d.sync += [index.eq(Mux(index == head_dim - 1, 0, index + 1)),
                         lane.eq(Mux(word_end, 0, lane + 1)),
                         chunk.eq(Mux(index == head_dim - 1, 0, Mux(word_end, chunk + 1, chunk)))]
            with m.If(index == head_dim - 1):
                m.d.sync += kind.eq(1)
            with m.If(final):
                m.d.sync += reading.eq(0)
        for read in staged:
            m.d.comb += [read.addr.eq(index), read.en.eq(1)]
        element = data.StructLayout({"valid": 1, "kind": 1, "lane": index_range(lanes),
                                     "chunk": index_range(config.chunks), "word_end": 1, "final": 1,
                                     "present": 1})
        issued = Signal(element)
        m.d.comb += [issued.valid.eq(reading), issued.kind.eq(kind), issued.lane.eq(lane),
                     issued.chunk.eq(chunk), issued.final.eq(final),
                     issued.word_end.eq((lane == lanes - 1) | (index == head_dim - 1)),
                     issued.present.eq(index < self.received)]
        # the words read go into registers before any logic: a block RAM's clock-to-out
        # is 5.8 ns on ECP5 (yosys never uses its output register)
        at_data = taps(m, issued, 2, name="staged")[-1]
        words = [delay(m, read.data, 1, name=f"staged_{name}")
                 for read, name in zip(staged, "kv")]

        # --- the divider: |c| = floor(n / d), n = 2·qmax·|x| + a, d = 2a ------------------
        # |x| is registered before n is formed: each is a carry chain of its own
        x = Mux(at_data.kind, words[1], words[0])
        magnitude = Signal(config.scale_bits, name="magnitude")
        scale = Signal(config.scale_bits, name="scale")
        negative_in = Signal()
        m.d.sync += [magnitude.eq(Mux(at_data.present, self.magnitude(x), 0)),
                     scale.eq(Mux(at_data.kind, self.scale_v, self.scale_k)),
                     negative_in.eq(x[-1] & at_data.present)]
        stages = config.divider_stages
        width = stages + config.input_bits
        numerator = Signal(width, name="numerator")
        divisor = Signal(width, name="divisor")
        negative = Signal()
        m.d.sync += [numerator.eq((magnitude << (stages + 1)) - (magnitude << 1) + scale),
                     divisor.eq(scale << 1), negative.eq(negative_in)]
        at_divide = taps(m, at_data, 2, name="divide_in")[-1]
        # the divisor travels with its element: K's and V's differ
        remainder, quotient, sign, stage_divisor = numerator, None, negative, divisor
        for bit in reversed(range(stages)):
            shifted = stage_divisor << bit
            fits = remainder >= shifted
            next_remainder = Signal(width, name=f"remainder{bit}")
            next_quotient = Signal(stages - bit, name=f"quotient{bit}")
            next_sign = Signal(name=f"sign{bit}")
            next_divisor = Signal(width, name=f"divisor{bit}")
            m.d.sync += [next_remainder.eq(Mux(fits, remainder - shifted, remainder)),
                         next_quotient.eq(fits if quotient is None else Cat(fits, quotient)),
                         next_sign.eq(sign), next_divisor.eq(stage_divisor)]
            remainder, quotient, sign, stage_divisor = (next_remainder, next_quotient,
                                                        next_sign, next_divisor)
        at_code = taps(m, at_divide, stages, name="divide")[-1]
        # a divisor of 0 (an all-zero vector) leaves every quotient bit 1
        zero_divisor = stage_divisor == 0
        magnitude_code = Mux(zero_divisor, 0, quotient)
        code = Mux(sign, -magnitude_code, magnitude_code)

        # --- packing: lane by lane into a word; the last word's spare lanes are 0 --------
        word = Signal(self.word.shape(), name="packing")
        with m.If(at_code.valid):
            for index_ in range(lanes):
                with m.If(at_code.lane == index_):
                    m.d.sync += word[index_].eq(code)
                if index_ > 0:
                    with m.Elif((at_code.lane < index_) & at_code.word_end):
                        m.d.sync += word[index_].eq(0)
        m.d.sync += [self.word_valid.eq(at_code.valid & at_code.word_end),
                     self.word_kind.eq(at_code.kind), self.word_chunk.eq(at_code.chunk),
                     self.done.eq(at_code.valid & at_code.final)]
        m.d.comb += self.word.eq(word)
        return m
