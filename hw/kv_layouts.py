"""Stream payload layouts and command codes of the KV-cache buffer."""

import enum

from amaranth.hdl import signed, unsigned
from amaranth.lib import data

from accelgen.kv_config import POSITION_BITS, QUERY_BITS, WEIGHT_BITS, KVBufferConfig


class Op(enum.IntEnum):
    APPEND = 0     # take one token's K and V from `append`
    SCORE = 1      # take one q from `query`; a score per token held
    VALUE = 2      # this and the following beats carry p_t until `last`
    CLEAR = 3      # forget the head's tokens (every head's with `all`)


def command_layout(config: KVBufferConfig) -> data.StructLayout:
    """Command beat: one per append, score or clear; a weighted-value job is a frame of
    beats, one p_t per token in position order, ``last`` on its final one."""
    return data.StructLayout({
        "op": unsigned(2),
        "head": unsigned(config.head_bits),
        "all": 1,
        "p": unsigned(WEIGHT_BITS),
        "last": 1,
    })


def append_layout(config: KVBufferConfig) -> data.StructLayout:
    """Append beat: ``lanes`` elements of the token's K and of its V; a token is
    ``chunks`` beats, or fewer with ``last`` (the elements not sent are 0)."""
    element = signed(config.input_bits)
    return data.StructLayout({
        "k": data.ArrayLayout(element, config.lanes),
        "v": data.ArrayLayout(element, config.lanes),
        "last": 1,
    })


def query_layout(config: KVBufferConfig) -> data.StructLayout:
    """Query beat: ``lanes`` elements of q; ``last`` ends the vector (missing chunks
    count as 0)."""
    return data.StructLayout({
        "q": data.ArrayLayout(signed(QUERY_BITS), config.lanes),
        "last": 1,
    })


def result_layout(config: KVBufferConfig) -> data.StructLayout:
    """Result beat: ``op`` says which command it answers. Append: the token's
    ``position``, ``flag`` = refused. Score: one beat per token held, in position
    order (``flag`` = no token held: a single beat). Value: head_dim beats, ``position``
    = the dimension. Clear: one beat. ``last`` ends each command's answer."""
    return data.StructLayout({
        "op": unsigned(2),
        "flag": 1,
        "position": unsigned(POSITION_BITS),
        "value": signed(config.result_bits),
        "last": 1,
    })


def status_layout(config: KVBufferConfig) -> data.StructLayout:
    """Per head: tokens held, tokens accepted since its last clear (the next position),
    and the sticky overflow flag."""
    return data.StructLayout({
        "length": data.ArrayLayout(range(config.max_tokens + 1), config.heads),
        "appended": data.ArrayLayout(unsigned(POSITION_BITS), config.heads),
        "overflow": data.ArrayLayout(1, config.heads),
    })


def read_item_layout() -> data.StructLayout:
    """One item of the read pipeline (a code word to read, or an answer without one),
    as it moves from stage to stage."""
    return data.StructLayout({
        "valid": 1, "op": 2, "flag": 1, "position": POSITION_BITS, "last": 1,
        "null": 1, "token_first": 1, "token_end": 1, "pass_first": 1, "pass_end": 1,
        "final_chunk": 1, "p_direct": 1, "p": WEIGHT_BITS, "q_zero": 1})


def input_layouts(config: KVBufferConfig) -> dict:
    return {"command": command_layout(config), "append": append_layout(config),
            "query": query_layout(config)}


def output_layouts(config: KVBufferConfig) -> dict:
    return {"result": result_layout(config)}
