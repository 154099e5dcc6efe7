"""The KV-cache buffer from the host: ``append`` tokens, ``scores`` of a query,
``weighted_values`` of softmax weights, ``clear``, ``status``. Commands run in order;
each call waits for its answers."""

import numpy as np

from accelgen.hw.kv_layouts import Op, status_layout
from accelgen.kv_config import QUERY_BITS, WEIGHT_BITS
from accelgen.payload import unpack
from accelgen.sim.kv_reference import append_words, command_words, query_words

from accelgen.golden.integers import check_range

from .unit_driver import UnitDriver
from .link import HostError


class KVBufferDriver(UnitDriver):

    def _head(self, head: int) -> int:
        if not 0 <= head < self.config.heads:
            raise HostError(f"{self.name}: head must be 0..{self.config.heads - 1}, got {head}")
        return head

    def _vector(self, what: str, values, bits: int) -> np.ndarray:
        values = check_range(values, bits, True, f"{self.name}.{what}")
        if values.shape[-1] != self.config.head_dim:
            raise HostError(f"{self.name}.{what}: {self.config.head_dim} values per vector, "
                            f"got {values.shape[-1]}")
        return values

    def _answers(self, count: int) -> dict:
        return unpack(self.output_layouts["result"], self.receive("result", count))

    def append(self, head: int, keys, values) -> np.ndarray:
        """Store tokens (K and V: tokens x head_dim, or one vector each); returns each
        token's position, -1 where the policy refused it."""
        head = self._head(head)
        keys = np.atleast_2d(self._vector("append keys", keys, self.config.input_bits))
        values = np.atleast_2d(self._vector("append values", values, self.config.input_bits))
        if keys.shape != values.shape:
            raise HostError(f"{self.name}.append: keys {keys.shape} and values "
                            f"{values.shape} differ")
        commands, tokens = [], []
        for k, v in zip(keys, values):
            commands += command_words(self.config, Op.APPEND, head)
            tokens += append_words(self.config, k, v)
        self.send("append", tokens)
        self.send("command", commands)
        answers = self._answers(len(keys))
        return np.where(answers["flag"] == 1, -1, answers["position"])

    def scores(self, head: int, q) -> tuple[np.ndarray, np.ndarray]:
        """(positions, s_t) of every token held, in position order."""
        head = self._head(head)
        q = self._vector("scores q", q, QUERY_BITS)
        self.send("query", query_words(self.config, q))
        self.send("command", command_words(self.config, Op.SCORE, head))
        answers = unpack(self.output_layouts["result"], self.receive_until_last("result"))
        if answers["flag"][0]:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return answers["position"], answers["value"]

    def weighted_values(self, head: int, p) -> np.ndarray:
        """y = Σ_t p_t · v_t over the tokens held, p as unsigned 16-bit weights."""
        head = self._head(head)
        p = check_range(np.atleast_1d(p), WEIGHT_BITS, False, f"{self.name}.weighted_values p")
        if len(p) == 0:
            raise HostError(f"{self.name}.weighted_values: give at least one weight")
        self.send("command", command_words(self.config, Op.VALUE, head, p.tolist()))
        return self._answers(self.config.head_dim)["value"]

    def clear(self, head: int | None = None) -> None:
        """Forget the tokens of one head, or of every head."""
        words = command_words(self.config, Op.CLEAR, 0, every=True) if head is None else \
            command_words(self.config, Op.CLEAR, self._head(head))
        self.send("command", words)
        self._answers(1)

    def status(self) -> dict:
        """Per head: tokens held, tokens accepted since the last clear, sticky overflow."""
        word = self._link.status()["units"][self.name]
        fields = unpack(status_layout(self.config), [word])
        return {name: values[0] for name, values in fields.items()}
