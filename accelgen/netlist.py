"""Memories without initial contents.

Amaranth 0.5 gives every memory an initial value (zeros by default). Some storage
cannot have one: the iCE40 UP5K's SPRAM is not initialized by the bitstream, so yosys
will not map an initialized memory to it; and a large block RAM's 65,536 zero words
make yosys slow for nothing when the design writes every word before reading it. Such
memories carry the attribute below, and both the Verilog generator and the board build
drop their initializer from the RTLIL before yosys sees it.
"""

import re

UNINITIALIZED = "accelgen_uninitialized"

_MEMORY = re.compile(r"^\s*memory\b.*\s(\S+)\s*$")
_MEMID = re.compile(r'^\s*parameter \\MEMID "(.*)"\s*$')


def uninitialized(attrs: dict) -> dict:
    """A memory's attrs, marked: its contents are undefined until written."""
    return {**attrs, UNINITIALIZED: "true"}


def drop_memory_init(rtlil_text: str) -> str:
    """The RTLIL without the $meminit_v2 cells of memories marked ``uninitialized``."""
    out = []
    for module in re.split(r"(?m)^(?=module )", rtlil_text):
        lines = module.split("\n")
        marked, attributes = set(), []
        for line in lines:
            if line.strip().startswith("attribute "):
                attributes.append(line)
                continue
            match = _MEMORY.match(line)
            if match and any(f"\\{UNINITIALIZED} " in attribute for attribute in attributes):
                # MEMID parameters spell the name with an escaped backslash
                marked.add(match.group(1).replace("\\", "\\\\"))
            attributes = []
        kept, cell, pending = [], None, []
        for line in lines:
            if cell is None and line.strip().startswith("cell $meminit_v2 "):
                cell = [*pending, line]
                pending = []
                continue
            if cell is not None:
                cell.append(line)
                match = _MEMID.match(line)
                if match:
                    cell_memory = match.group(1)
                if line.strip() == "end":
                    if cell_memory not in marked:
                        kept.extend(cell)
                    cell = None
                continue
            # a cell's attribute lines come before it: hold them until we know
            if line.strip().startswith("attribute "):
                pending.append(line)
                continue
            kept.extend(pending)
            pending = []
            kept.append(line)
        kept.extend(pending)
        out.append("\n".join(kept))
    return "".join(out)
