"""A synthesis top that gives a unit's wide ports three pins.

A unit's payloads are far wider than a package has pins, so place-and-route would fail
on I/O. The harness feeds every unit input from one shift register on pin ``sin`` and
folds every unit output into pin ``sout`` through a registered XOR tree (registered at
each level so the harness never sets Fmax). The unit stays its own module, so its
resources are counted apart from the harness's.
"""

HARNESS_MODULE = "accelgen_synth_harness"


def harness_verilog(manifest: dict) -> str:
    inputs = [p for p in manifest["ports"]
              if p["direction"] == "input" and p["name"] not in ("clk", "rst")]
    outputs = [p for p in manifest["ports"] if p["direction"] == "output"]
    in_bits = sum(p["width"] for p in inputs)
    out_bits = sum(p["width"] for p in outputs)
    lines = [f"module {HARNESS_MODULE}(input clk, input rst, input sin, output sout);",
             f"  reg [{in_bits}:0] chain;",
             f"  always @(posedge clk) chain <= {{chain[{in_bits - 1}:0], sin}};",
             f"  wire [{out_bits - 1}:0] outs;"]
    connections, low = [".clk(clk)", ".rst(rst)"], 0
    for port in inputs:
        connections.append(f".{port['name']}(chain[{low + port['width'] - 1}:{low}])")
        low += port["width"]
    low = 0
    for port in outputs:
        connections.append(f".{port['name']}(outs[{low + port['width'] - 1}:{low}])")
        low += port["width"]
    lines.append(f"  {manifest['module']} unit ({', '.join(connections)});")
    level, width, name = 0, out_bits, "outs"
    while width > 1:
        groups = (width + 3) // 4
        lines.append(f"  reg [{groups - 1}:0] fold{level};")
        terms = []
        for group in range(groups):
            top = min(width, 4 * group + 4) - 1
            terms.append(f"fold{level}[{group}] <= ^{name}[{top}:{4 * group}];")
        lines.append(f"  always @(posedge clk) begin {' '.join(terms)} end")
        level, width, name = level + 1, groups, f"fold{level}"
    lines.append(f"  assign sout = {name}[0];" if out_bits > 1 else "  assign sout = outs[0];")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"
