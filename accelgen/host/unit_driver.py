"""One unit of a connected accelerator at the level of stream beats; the kinds' typed
drivers (accelgen/host/<kind>.py) build their numpy APIs on it."""

import numpy as np

from accelgen.golden.integers import check_range

from .link import HostError


class UnitDriver:
    """One unit of a connected accelerator, at the level of stream beats.

    ``run`` sends whole jobs and returns their results; the kinds' drivers build their
    numpy APIs on it. Words are payload integers (``accelgen.payload.pack``).
    """

    #: seconds a job's results may take beyond their transfer time
    TIMEOUT = 30.0

    def __init__(self, accelerator, index: int, config, reference):
        self._accelerator = accelerator
        self._link = accelerator.link
        self.index = index
        described = accelerator.plan.units[index]
        self.name, self.kind = described.name, described.kind
        self.config = config
        self.input_layouts = reference.input_layouts(self.config)
        self.output_layouts = reference.output_layouts(self.config)
        self._inputs = {port.name: port for port in described.inputs}
        self._outputs = {port.name: port for port in described.outputs}
        self._input_numbers = {port.name: accelerator.plan.inputs.index(port)
                               for port in described.inputs}

    def send(self, port: str, words) -> None:
        """Queue beats for an input port (split into frames as the link allows)."""
        target = self._inputs[port]
        per_frame = self._accelerator.plan.frame_beats(target)
        words = list(words)
        for start in range(0, len(words), per_frame):
            body = b"".join(word.to_bytes(target.beat_bytes, "little")
                            for word in words[start:start + per_frame])
            self._link.send(self._input_numbers[port], body)

    def receive(self, port: str, count: int, timeout: float | None = None) -> list[int]:
        source = self._outputs[port]
        return self._link.take_results(self.index, source.port, count, source.beat_bytes,
                                       self.TIMEOUT if timeout is None else timeout)

    def receive_until_last(self, port: str, timeout: float | None = None) -> list[int]:
        """Result beats up to and with the next one whose ``last`` is set."""
        source = self._outputs[port]
        return self._link.take_group(self.index, source.port, source.beat_bytes,
                                     source.last_offset,
                                     self.TIMEOUT if timeout is None else timeout)

    def run(self, inputs: dict, expected: dict) -> dict:
        """Send ``inputs`` (port name -> words), return ``expected`` (port name -> beat
        count) result words per output port."""
        for port, words in inputs.items():
            self.send(port, words)
        return {port: self.receive(port, count) for port, count in expected.items()}

    def reset(self) -> None:
        self._link.reset(self.index)

    def vectors(self, x, bits: int, columns: int, call: str) -> np.ndarray:
        """``x`` (one vector or n x ``columns``) as signed ``bits``-bit int64 rows, or an
        error naming ``call`` (the vectors' length comes from what was loaded)."""
        x = check_range(np.atleast_2d(x), bits, True, f"{self.name}.{call} x")
        if x.shape[1] != columns:
            raise HostError(f"{self.name}.{call}: vectors of {columns} values for what is "
                            f"loaded, got {x.shape[1]}")
        return x
