"""Python model of the board self-test's stimulus generator and result signature.

The board top drives each input stream with payloads built from xorshift32 generators
and folds every result beat into a 32-bit signature; these functions compute the same
words and the same signature, so the expected value can be fixed at build time.
"""

MASK32 = 0xFFFF_FFFF
SIGNATURE_INIT = 0xFFFF_FFFF


def xorshift32(state: int) -> int:
    state ^= (state << 13) & MASK32
    state ^= state >> 17
    state ^= (state << 5) & MASK32
    return state


def chunk_seed(port_index: int, chunk: int) -> int:
    """Seed of one 32-bit chunk generator: distinct, odd, never zero."""
    return ((0x9E37_79B9 * (port_index * 64 + chunk + 1)) & MASK32) | 1


def stimulus_words(port_index: int, width: int, last_offset: int, frame: int,
                   beats: int) -> list[int]:
    """The payloads the self-test sends on one input stream: random bits, with the
    ``last`` bit set on every ``frame``-th beat."""
    chunks = (width + 31) // 32
    states = [chunk_seed(port_index, chunk) for chunk in range(chunks)]
    words = []
    for beat in range(beats):
        word = sum(state << (32 * chunk) for chunk, state in enumerate(states))
        word &= (1 << width) - 1
        word &= ~(1 << last_offset)
        if beat % frame == frame - 1:
            word |= 1 << last_offset
        words.append(word)
        states = [xorshift32(state) for state in states]
    return words


def fold32(word: int, width: int) -> int:
    folded = 0
    for chunk in range((width + 31) // 32):
        folded ^= (word >> (32 * chunk)) & MASK32
    return folded


def signature(words: list[int], width: int) -> int:
    """32-bit signature of the result beats, in the order they left the unit."""
    value = SIGNATURE_INIT
    for word in words:
        value = (((value << 1) | (value >> 31)) & MASK32) ^ fold32(word, width)
    return value
