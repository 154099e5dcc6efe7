"""``kind: kv_buffer``: the on-chip KV cache of an LLM decoder."""

from ..kv_config import KVBufferConfig
from ..unit import DOCS, UnitKind


class KVBufferKind(UnitKind):
    config_class = KVBufferConfig
    doc = DOCS / "kv_buffer.md"
    test_configs = {
        # a head in one chunk (head_dim = lanes): one pass per value job; one sink
        "minimum": {"heads": 1, "head_dim": 4, "lanes": 4, "max_tokens": 3,
                    "sink_tokens": 1, "kv_bits": 8, "input_bits": 8},
        # sinks and a ring; two chunks per head; block RAM
        "sink-window": {"heads": 2, "head_dim": 8, "lanes": 4, "max_tokens": 6,
                        "sink_tokens": 2},
        # odd everything: 3 heads (head 3 exists in the 2-bit field), 13 dimensions in
        # chunks of 5, a window of 7, 8-bit codes of int8 inputs
        "window-odd": {"heads": 3, "head_dim": 13, "lanes": 5, "max_tokens": 7,
                       "policy": "window", "sink_tokens": 0, "kv_bits": 8,
                       "input_bits": 8},
        # one lane, refusals when full, the SPRAM style
        "none-1-lane-spram": {"heads": 1, "head_dim": 3, "lanes": 1, "max_tokens": 5,
                              "policy": "none", "sink_tokens": 0, "memory": "spram"},
    }

    def component(self, config):
        from ..hw.kv_buffer import kv_buffer
        return kv_buffer(config)

    def reference(self):
        from ..sim import kv_reference
        return kv_reference

    def bench(self):
        from ..sim.kv_bench import KVBufferBench
        return KVBufferBench

    def driver(self):
        from ..host.kv_buffer import KVBufferDriver
        return KVBufferDriver

    def job_end(self, m, config, component):
        # a command beat completes its command, except inside a weighted-value frame,
        # which its `last` beat completes
        from amaranth.hdl import Signal

        from ..hw.kv_layouts import Op
        command = component.command
        taken = command.valid & command.ready
        in_frame = Signal(name="value_frame")
        starts_frame = ~in_frame & (command.payload.op == Op.VALUE)
        with m.If(taken):
            m.d.sync += in_frame.eq((in_frame | starts_frame) & ~command.payload.last)
        return taken & (~(in_frame | starts_frame) | command.payload.last)

    def selftest_frames(self, config, jobs: int = 8) -> dict:
        # random commands in frames of four (a value job is one frame), whole tokens
        # and queries
        return {"command": (4, 4 * jobs), "append": (config.chunks, 2 * jobs),
                "query": (config.chunks, jobs)}
