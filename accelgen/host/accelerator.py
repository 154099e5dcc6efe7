"""``Accelerator.open(url)``: a board's serial port or `accelgen serve`'s socket, the
same way, and its units by name.

Each unit is driven by its kind's driver class (``UnitKind.driver()``): a typed numpy
API on top of :class:`UnitDriver`, which moves payload words packed exactly as the
unit's manifest lays them out.
"""

import numpy as np

from accelgen.config import DesignConfig
from accelgen.link_plan import LinkPlan, config_hash
from accelgen.registry import UNIT_KINDS

from .link import HostError, Link

#: the baud a URL without one is opened at (a serve socket ignores it)
DEFAULT_BAUD = 3_000_000


class UnitDriver:
    """One unit of a connected accelerator, at the level of stream beats.

    ``run`` sends whole jobs and returns their results; the kinds' drivers build their
    numpy APIs on it. Words are payload integers (``accelgen.payload.pack``).
    """

    #: seconds a job's results may take beyond their transfer time
    TIMEOUT = 30.0

    def __init__(self, accelerator: "Accelerator", index: int):
        self._accelerator = accelerator
        self._link = accelerator.link
        self.index = index
        described = accelerator.plan.units[index]
        self.name, self.kind = described.name, described.kind
        self.config = UNIT_KINDS[self.kind].config_class.from_settings(described.settings)
        reference = UNIT_KINDS[self.kind].reference()
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

    def run(self, inputs: dict, expected: dict) -> dict:
        """Send ``inputs`` (port name -> words), return ``expected`` (port name -> beat
        count) result words per output port."""
        for port, words in inputs.items():
            self.send(port, words)
        return {port: self.receive(port, count) for port, count in expected.items()}

    def reset(self) -> None:
        self._link.reset(self.index)


def check_range(name: str, values: np.ndarray, bits: int, is_signed: bool) -> np.ndarray:
    """``values`` as int64, or a HostError if any does not fit the operand type."""
    values = np.asarray(values)
    if values.dtype.kind not in "iub":
        raise HostError(f"{name}: must be integers, got dtype {values.dtype}")
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if is_signed else (0, (1 << bits) - 1)
    if values.size and (values.min() < low or values.max() > high):
        kind = f"int{bits}" if is_signed else f"uint{bits}"
        raise HostError(f"{name}: values must fit {kind} ({low}..{high}), got "
                        f"{values.min()}..{values.max()}")
    return values.astype(np.int64)


class Accelerator:
    """A connected accelerator: ``units[name]`` or ``accelerator.<name>``."""

    def __init__(self, link: Link, identity: dict, port):
        self.link = link
        self.identity = identity
        self.plan = link.plan
        self._port = port
        self.units = {unit.name: UNIT_KINDS[unit.kind].driver()(self, index)
                      for index, unit in enumerate(self.plan.units)}

    @classmethod
    def open(cls, url: str, design: DesignConfig | None = None, *,
             baud: int | None = None, reset: bool = True) -> "Accelerator":
        """Connect, identify, and (by default) reset every unit. With ``design``, a
        device built from another config is refused."""
        import serial

        try:
            port = serial.serial_for_url(url, baudrate=baud or DEFAULT_BAUD, timeout=0.02,
                                         write_timeout=10, exclusive=True) \
                if not url.startswith("socket://") else \
                serial.serial_for_url(url, timeout=0.02, write_timeout=10)
        except (serial.SerialException, ValueError) as error:
            raise HostError(f"{url}: cannot open ({error})") from None
        return cls.attach(port, design, reset=reset, name=url)

    @classmethod
    def attach(cls, port, design: DesignConfig | None = None, *, reset: bool = True,
               name: str = "the device") -> "Accelerator":
        """:meth:`open` on a port object already open (anything with pyserial's
        ``read``, ``write``, ``in_waiting`` and ``close``)."""
        url = name
        link = Link(port)
        try:
            identity = link.identify()
            if design is not None and identity.get("config_hash") != config_hash(design):
                raise HostError(
                    f"{url}: the device runs design {identity.get('design')!r} (config hash "
                    f"{identity.get('config_hash')}), not {design.name!r} from {design.source} "
                    f"({config_hash(design)}); rebuild and program it")
            link.plan = LinkPlan.from_identity(identity)
            accelerator = cls(link, identity, port)
            if reset:
                link.reset()
            else:
                link._resynchronize()
        except BaseException:
            port.close()
            raise
        return accelerator

    def __getattr__(self, name):
        units = self.__dict__.get("units", {})
        if name in units:
            return units[name]
        raise AttributeError(f"no unit {name!r}; the accelerator has "
                             f"{', '.join(units) or 'none'}")

    def status(self) -> dict:
        return self.link.status()

    def reset(self) -> None:
        self.link.reset()

    def close(self) -> None:
        self._port.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
