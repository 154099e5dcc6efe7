"""Integer helpers shared by configs, golden models and benches (no Amaranth here)."""


def ceil_log2(n: int) -> int:
    """Bits needed to count ``n`` distinct values (0 for n <= 1)."""
    return max(n - 1, 0).bit_length()


def value_range(bits: int, signed: bool) -> tuple[int, int]:
    """Inclusive (min, max) of a ``bits``-wide integer."""
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def signed_bits(low: int, high: int) -> int:
    """Bits of the narrowest two's-complement integer that holds low..high."""
    return max(high.bit_length(), (-low - 1).bit_length()) + 1


def index_range(count: int) -> range:
    """The shape of an index 0..count-1, at least one bit wide even when count is 1
    (a zero-width signal becomes a [-1:0] wire that Verilator rejects)."""
    return range(max(2, count))
