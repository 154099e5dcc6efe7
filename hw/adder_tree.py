"""Registered adder trees: the multiplier-free units add their lanes with these."""

from amaranth.hdl import signed

from accelgen.numbers import ceil_log2

from .pipeline import data_register


def adder_tree(m, nodes: list, bits: int, name: str, level: int = 0):
    """Σ of (value, leaves, pending +1 bits) nodes by pairwise adders, each taking one
    pending bit as its carry-in, with a register after every level (see
    :func:`register_level`). ``level``: how many levels the nodes have already been
    through (it names the registers). Returns the root node."""
    while len(nodes) > 1:
        merged = []
        for i in range(0, len(nodes), 2):
            if i + 1 == len(nodes):
                merged.append(nodes[i])
                continue
            (a, a_leaves, a_bits), (b, b_leaves, b_bits) = nodes[i], nodes[i + 1]
            pending = a_bits + b_bits
            total = a + b + pending[0] if pending else a + b
            merged.append((total, a_leaves + b_leaves, pending[1:]))
        level += 1
        nodes = register_level(m, merged, bits, f"{name}_l{level}")
    return nodes[0]


def register_level(m, nodes: list, bits: int, name: str) -> list:
    """The (value, leaves, pending bits) nodes of one tree level in registers, each as
    wide as its sum can get (``bits`` + ceil(log2(leaves)): n terms of ``bits`` bits and
    n − 1 carries fit there). The registers also keep each adder a carry chain of its
    own: unregistered, yosys turns adder trees into carry-save LUT logic, which costs
    1.25x as much on ECP5. They hold data only (valid bits travel beside the
    datapath)."""
    registered = []
    for index, (value, leaves, pending) in enumerate(nodes):
        register = data_register(signed(bits + ceil_log2(leaves)), f"{name}_{index}")
        carries = [data_register(1, f"{name}_{index}_c{k}") for k in range(len(pending))]
        m.d.sync += [register.eq(value), *(r.eq(b) for r, b in zip(carries, pending))]
        registered.append((register, leaves, carries))
    return registered
