"""The KV-cache buffer in numpy: per-token, per-head absmax quantization, the three
eviction policies as a reference cache, and the exact score and weighted-value
results the hardware returns; plus the float attention they approximate.

Integer semantics (docs/units/kv_buffer.md):

- quantize: a = max_i min(|x_i|, 2^(b-1) - 1) over the vector (b = input bits);
  c_i = sign(x_i) · floor((2·qmax·|x_i| + a) / (2a)), i.e. x_i·qmax/a rounded half away
  from zero, and 0 when a = 0. The scale stored is a; x̂_i = c_i · a / qmax.
- score: s_t = (Σ_i q_i · c_t,i) · a_t, exact (= qmax · q·k̂_t).
- weighted value: w_t = round_half_up(p_t · a_t / 2^weight_shift);
  y_i = Σ_t w_t · c_t,i, exact (= qmax · 2^16 / 2^weight_shift · Σ_t p_t/2^16 · v̂_t,i).
"""

from dataclasses import dataclass, field

import numpy as np

from accelgen.errors import AccelgenError
from accelgen.kv_config import WEIGHT_BITS, Policy
from accelgen.numbers import value_range

from .integers import check_range, round_shift


def largest(bits: int) -> int:
    """The largest signed ``bits``-bit value: codes and clipped inputs are symmetric."""
    return value_range(bits, True)[1]


def absmax(x: np.ndarray, input_bits: int) -> np.ndarray:
    """Per vector (last axis): the largest |x|, clipped to 2^(input_bits-1) - 1."""
    magnitude = np.minimum(np.abs(np.asarray(x, dtype=np.int64)), largest(input_bits))
    return magnitude.max(axis=-1)


def quantize(x: np.ndarray, kv_bits: int, input_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes (same shape as x) and scales (one per vector along the last axis)."""
    if kv_bits not in (4, 8) or input_bits not in (8, 16):
        raise AccelgenError(f"KV quantize: kv_bits must be 4 or 8 and input_bits 8 or 16, "
                            f"got {kv_bits!r} and {input_bits!r}")
    x = np.asarray(x)
    if x.size == 0:
        raise AccelgenError("K/V vectors: empty")
    if np.issubdtype(x.dtype, np.floating):
        # whole numbers in a float array are fine; fractions would be truncated
        if not np.isfinite(x).all() or not np.array_equal(x, np.round(x)):
            raise AccelgenError("K/V vectors: must be integers (int8/int16 codes), got "
                                "fractions, NaN or infinity")
        x = x.astype(np.int64)
    x = check_range(x, input_bits, True, "K/V vectors")
    qmax = largest(kv_bits)
    scale = absmax(x, input_bits)
    magnitude = np.minimum(np.abs(x), largest(input_bits))
    divisor = np.maximum(2 * scale, 1)[..., None]
    codes = (2 * qmax * magnitude + scale[..., None]) // divisor
    codes = np.where(scale[..., None] == 0, 0, codes)
    return np.where(x < 0, -codes, codes), scale


def dequantize(codes: np.ndarray, scales: np.ndarray, kv_bits: int) -> np.ndarray:
    qmax = largest(kv_bits)
    return np.asarray(codes, dtype=np.float64) * (np.asarray(scales)[..., None] / qmax)


def scores(q: np.ndarray, codes: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """s_t = (q · c_t) · a_t for codes [tokens, head_dim]."""
    return (np.asarray(codes, dtype=np.int64) @ np.asarray(q, dtype=np.int64)) * scales


def token_weights(config, p: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """w_t = round_half_up(p_t · a_t / 2^weight_shift): each lane's multiplier operand."""
    return round_shift(np.asarray(p, dtype=np.int64) * scales, config.weight_shift)


def weighted_values(config, p: np.ndarray, codes: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """y_i = Σ_t w_t · c_t,i for codes [tokens, head_dim]."""
    return token_weights(config, p, scales) @ np.asarray(codes, dtype=np.int64)


@dataclass
class Head:
    """One head's slots and counters, as the hardware keeps them."""
    max_tokens: int
    head_dim: int
    k_codes: np.ndarray = None
    v_codes: np.ndarray = None
    k_scales: np.ndarray = None
    v_scales: np.ndarray = None
    length: int = 0          # tokens held
    appended: int = 0        # tokens accepted since the last clear: the next position
    write_slot: int = 0      # where the next token goes
    overflow: bool = False   # sticky: an append was refused (none) or evicted a token
    positions: list = field(default_factory=list)   # position of the token in each slot

    def __post_init__(self):
        shape = (self.max_tokens, self.head_dim)
        self.k_codes = np.zeros(shape, dtype=np.int64)
        self.v_codes = np.zeros(shape, dtype=np.int64)
        self.k_scales = np.zeros(self.max_tokens, dtype=np.int64)
        self.v_scales = np.zeros(self.max_tokens, dtype=np.int64)
        self.positions = [None] * self.max_tokens


class ReferenceCache:
    """The buffer's state and its commands, token by token."""

    def __init__(self, config):
        self.config = config
        self.heads = [Head(config.max_tokens, config.head_dim) for _ in range(config.heads)]

    def append(self, head: int, k: np.ndarray, v: np.ndarray) -> tuple[int, bool]:
        """Quantize and store one token; returns (its position, refused)."""
        config, state = self.config, self.heads[head]
        position = state.appended
        if config.policy is Policy.NONE and state.length == config.max_tokens:
            state.overflow = True
            return position, True
        slot = state.write_slot
        state.k_codes[slot], state.k_scales[slot] = quantize(k, config.kv_bits, config.input_bits)
        state.v_codes[slot], state.v_scales[slot] = quantize(v, config.kv_bits, config.input_bits)
        state.positions[slot] = position
        if state.length == config.max_tokens:
            state.overflow = True            # the token in this slot was evicted
        state.length = min(state.length + 1, config.max_tokens)
        state.appended += 1
        last = config.max_tokens - 1
        state.write_slot = (config.ring_base if slot == last else slot + 1)
        return position, False

    def clear(self, head: int | None = None):
        for index in range(len(self.heads)) if head is None else [head]:
            self.heads[index] = Head(self.config.max_tokens, self.config.head_dim)

    def slots(self, head: int) -> list[int]:
        """The slots held, in position order: the sinks, then the ring from its oldest."""
        config, state = self.config, self.heads[head]
        sinks = min(config.sink_tokens, state.length)
        ring = state.length - sinks
        full = state.length == config.max_tokens and config.policy is not Policy.NONE
        start = state.write_slot if full else config.ring_base
        span = config.max_tokens - config.ring_base
        return list(range(sinks)) + [config.ring_base + (start - config.ring_base + i) % span
                                     for i in range(ring)]

    def positions(self, head: int) -> list[int]:
        state = self.heads[head]
        return [state.positions[slot] for slot in self.slots(head)]

    def scores(self, head: int, q: np.ndarray) -> np.ndarray:
        state, slots = self.heads[head], self.slots(head)
        return scores(q, state.k_codes[slots], state.k_scales[slots])

    def weighted_values(self, head: int, p: np.ndarray) -> np.ndarray:
        """Σ over the first len(p) tokens held (extra weights have no token)."""
        state, slots = self.heads[head], self.slots(head)[:len(p)]
        p = np.asarray(p, dtype=np.int64)[:len(slots)]
        return weighted_values(self.config, p, state.v_codes[slots], state.v_scales[slots])


def attention(q: np.ndarray, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Float single-head attention: softmax(q·Kᵀ/√d)·V."""
    logits = keys @ q / np.sqrt(len(q))
    weights = np.exp(logits - logits.max())
    return (weights / weights.sum()) @ values


def attention_weights(score_values: np.ndarray, logit_scale: float) -> np.ndarray:
    """The host's softmax over the buffer's integer scores (logits = s · logit_scale),
    as the 16-bit weights p_t the weighted-value command takes."""
    logits = np.asarray(score_values, dtype=np.float64) * logit_scale
    weights = np.exp(logits - logits.max())
    weights /= weights.sum()
    return np.minimum(np.round(weights * (1 << WEIGHT_BITS)), (1 << WEIGHT_BITS) - 1) \
        .astype(np.int64)


def attention_output(config, sums: np.ndarray, value_unit: float) -> np.ndarray:
    """The buffer's weighted sums back in the values' units."""
    return np.asarray(sums) * (value_unit * (1 << config.weight_shift) / config.qmax /
                               (1 << WEIGHT_BITS))


def quantized_attention(config, q: np.ndarray, keys: np.ndarray, values: np.ndarray,
                        units: tuple[float, float, float]) -> np.ndarray:
    """The same attention through the buffer's integer path: q, keys and values are
    integers in units of ``units`` (query, key, value); scores and weighted sums are the
    exact hardware results, rescaled, and the softmax is float (it is done outside the
    buffer), its weights rounded to 16-bit p_t."""
    query_unit, key_unit, value_unit = units
    k_codes, k_scales = quantize(keys, config.kv_bits, config.input_bits)
    v_codes, v_scales = quantize(values, config.kv_bits, config.input_bits)
    p = attention_weights(scores(q, k_codes, k_scales),
                          query_unit * key_unit / config.qmax / np.sqrt(len(q)))
    return attention_output(config, weighted_values(config, p, v_codes, v_scales), value_unit)
