"""Integer helpers shared by configs, golden models and benches (no Amaranth here)."""


def ceil_log2(n: int) -> int:
    """Bits needed to count ``n`` distinct values (0 for n <= 1)."""
    return max(n - 1, 0).bit_length()


def value_range(bits: int, signed: bool) -> tuple[int, int]:
    """Inclusive (min, max) of a ``bits``-wide integer."""
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1
