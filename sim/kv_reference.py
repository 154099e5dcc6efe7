"""The KV-cache buffer at the level of stream beats: command, append and query words
in, result words out, through golden.kv_cache. The bench, the board self-test and the
benchmark share it."""

import numpy as np

from accelgen.golden.kv_cache import ReferenceCache
from accelgen.hw.kv_layouts import (Op, append_layout, command_layout, input_layouts,
                                    output_layouts, query_layout, result_layout,
                                    status_layout)
from accelgen.payload import chunked, frames, last_flags, pack, unpack

__all__ = ["input_layouts", "output_layouts", "reference_beats", "status_layouts"]


def status_layouts(config) -> dict:
    """Outputs beside the streams: the per-head status bus."""
    return {"status": status_layout(config)}


def command_words(config, op: Op, head: int = 0, p=(0,), every: bool = False) -> list[int]:
    """One command (a weighted-value command: one beat per weight in ``p``)."""
    count = len(p)
    return pack(command_layout(config), {
        "op": [op] * count, "head": [head] * count, "all": [int(every)] * count,
        "p": list(p), "last": last_flags(count)})


def append_words(config, k, v) -> list[int]:
    """A token's K and V beats."""
    return pack(append_layout(config), {
        "k": chunked(k, config.lanes, config.chunks), "v": chunked(v, config.lanes, config.chunks),
        "last": last_flags(config.chunks)})


def query_words(config, q) -> list[int]:
    return pack(query_layout(config), {"q": chunked(q, config.lanes, config.chunks),
                                       "last": last_flags(config.chunks)})


class BeatModel:
    """The buffer's state across jobs: feed it each job's words in order; a reset is
    a new model. Commands whose operands have not arrived (a token, a q, the end of a
    value frame) wait, as the hardware does: they stay in ``commands`` for the next
    feed."""

    def __init__(self, config):
        self.config = config
        self.cache = ReferenceCache(config)
        self.commands = {name: np.zeros(0, dtype=np.int64)
                         for name, _ in command_layout(config)}
        self.tokens, self.queries = [], []
        self._append_beats = {"k": [], "v": [], "last": []}
        self._query_beats = []
        self._first_pass_sent = False   # of a value frame still open

    def feed(self, stimulus: dict) -> list[int]:
        """The result words the new beats complete."""
        config = self.config
        self._take_tokens(stimulus.get("append", []))
        self._take_queries(stimulus.get("query", []))
        new = unpack(command_layout(config), stimulus.get("command", []))
        self.commands = {name: np.concatenate([self.commands[name], new[name]])
                         for name in self.commands}
        out = {"op": [], "flag": [], "position": [], "value": [], "last": []}
        while len(self.commands["op"]):
            used = self._command(out)
            if used == 0:
                break
            self.commands = {name: values[used:] for name, values in self.commands.items()}
        return pack(result_layout(config), out) if out["op"] else []

    # --- operand streams ----------------------------------------------------------
    def _take_tokens(self, words):
        config = self.config
        beats = unpack(append_layout(config), words)
        for name in ("k", "v", "last"):
            self._append_beats[name].extend(beats[name])
        tokens = frames(self._append_beats["last"], longest=config.chunks)
        for frame in tokens:
            vectors = []
            for name in ("k", "v"):
                elements = np.concatenate(self._append_beats[name][frame])
                vector = np.zeros(config.head_dim, dtype=np.int64)
                count = min(len(elements), config.head_dim)
                vector[:count] = elements[:count]
                vectors.append(vector)
            self.tokens.append(tuple(vectors))
        used = tokens[-1].stop if tokens else 0
        for name in ("k", "v", "last"):
            self._append_beats[name] = self._append_beats[name][used:]

    def _take_queries(self, words):
        config = self.config
        beats = unpack(query_layout(config), words)
        self._query_beats.extend(zip(beats["q"], beats["last"]))
        while any(last for _, last in self._query_beats):
            end = next(i for i, (_, last) in enumerate(self._query_beats) if last)
            chunks = [q for q, _ in self._query_beats[:end + 1]][:config.chunks]
            vector = np.zeros(config.chunks * config.lanes, dtype=np.int64)
            vector[:len(chunks) * config.lanes] = np.concatenate(chunks)
            self.queries.append(vector[:config.head_dim])
            self._query_beats = self._query_beats[end + 1:]

    # --- commands -----------------------------------------------------------------
    def _command(self, out) -> int:
        """Run the first pending command if its operands are there; the beats it used."""
        config, cache, commands = self.config, self.cache, self.commands
        op, head = int(commands["op"][0]), int(commands["head"][0])
        valid_head = head < config.heads
        if op == Op.APPEND:
            if not self.tokens:
                return 0
            k, v = self.tokens.pop(0)
            if valid_head:
                position, refused = cache.append(head, k, v)
            else:
                position, refused = 0, True
            _emit(out, Op.APPEND, refused, position, 0, True)
            return 1
        if op == Op.CLEAR:
            if commands["all"][0]:
                cache.clear()
            elif valid_head:
                cache.clear(head)
            _emit(out, Op.CLEAR, False, 0, 0, True)
            return 1
        if op == Op.SCORE:
            if not self.queries:
                return 0
            q = self.queries.pop(0)
            if not valid_head or cache.heads[head].length == 0:
                _emit(out, Op.SCORE, True, 0, 0, True)
                return 1
            scores = cache.scores(head, q)
            positions = cache.positions(head)
            for index, (position, score) in enumerate(zip(positions, scores)):
                _emit(out, Op.SCORE, False, position, int(score), index == len(scores) - 1)
            return 1
        # a weighted-value frame: p_t on each beat up to `last`
        ends = np.flatnonzero(commands["last"])
        held = cache.heads[head].length if valid_head else 0
        if not len(ends):
            # the hardware answers the first pass once held weights have come
            if 0 < held <= len(commands["p"]) and not self._first_pass_sent:
                self._value_beats(out, cache.weighted_values(head, commands["p"][:held]),
                                  passes=1)
                self._first_pass_sent = True
            return 0
        p = commands["p"][:ends[0] + 1]
        values = (cache.weighted_values(head, p) if held else
                  np.zeros(config.head_dim, dtype=np.int64))
        self._value_beats(out, values, passes=config.chunks, skip=int(self._first_pass_sent))
        self._first_pass_sent = False
        return ends[0] + 1

    def _value_beats(self, out, values, passes: int, skip: int = 0):
        config = self.config
        for dimension in range(skip * config.lanes, min(passes * config.lanes, config.head_dim)):
            _emit(out, Op.VALUE, False, dimension, int(values[dimension]),
                  dimension == config.head_dim - 1)


def _emit(out, op, flag, position, value, last):
    for name, item in zip(("op", "flag", "position", "value", "last"),
                          (int(op), int(flag), position, value, int(last))):
        out[name].append(item)


def reference_beats(config, stimulus: dict) -> dict:
    """The result words the unit returns for the given input words, from reset."""
    return {"result": BeatModel(config).feed(stimulus)}
