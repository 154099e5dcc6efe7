"""``Accelerator.open(url)``: a board's serial port or `accelgen serve`'s socket, the
same way, and its units by name.

Each unit is driven by its kind's driver class (``UnitKind.driver()``): a typed numpy
API on top of :class:`UnitDriver`, which moves payload words packed exactly as the
unit's manifest lays them out.
"""

import contextlib
import dataclasses
import time

from accelgen.config import DesignConfig
from accelgen.link_plan import LinkPlan, config_hash
from accelgen.registry import UNIT_KINDS

from .link import HostError, Link
from .unit_driver import UnitDriver

#: the baud a URL without one is opened at (a serve socket ignores it)
DEFAULT_BAUD = 3_000_000


class Accelerator:
    """A connected accelerator: ``units[name]`` or ``accelerator.<name>``."""

    def __init__(self, link: Link, identity: dict, port):
        self.link = link
        self.identity = identity
        self.plan = link.plan
        self._port = port
        self.units = {}
        for index, unit in enumerate(self.plan.units):
            kind = UNIT_KINDS[unit.kind]
            config = kind.config_class.from_settings(unit.settings)
            driver = kind.driver() or UnitDriver
            self.units[unit.name] = driver(self, index, config, kind.reference())

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
            if design is not None:
                # a board built of some of the design's units (build --unit) runs them
                built = [unit.get("name") for unit in identity.get("units", [])]
                if set(built) < set(design.units):
                    design = design.only(name for name in design.units if name in built)
                if identity.get("config_hash") != config_hash(design):
                    raise HostError(
                        f"{url}: the device runs design {identity.get('design')!r} (config "
                        f"hash {identity.get('config_hash')}), not {design.name!r} from "
                        f"{design.source} ({config_hash(design)}); rebuild and program it")
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

    @contextlib.contextmanager
    def measured(self):
        """Measure what runs inside: a dict filled on exit with the wall seconds, the
        device's cycles, pending cycles (a unit had a beat to take or give) and busy
        cycles (pending, and no unit waited for the link to take a result), frames and
        bytes each way, payload and on the wire."""
        figures = {}
        counters = dataclasses.replace(self.link.counters)
        status, start = self.status(), time.monotonic()
        yield figures
        seconds = time.monotonic() - start
        after, now = self.status(), self.link.counters
        figures.update(
            seconds=seconds,
            cycles=(after["cycles"] - status["cycles"]) % (1 << 32),
            busy_cycles=(after["busy_cycles"] - status["busy_cycles"]) % (1 << 32),
            pending_cycles=(after["pending_cycles"] - status["pending_cycles"]) % (1 << 32),
            frames_sent=now.frames_sent - counters.frames_sent,
            result_frames=now.result_frames - counters.result_frames,
            wire_bytes=now.bytes_sent + now.bytes_received
            - counters.bytes_sent - counters.bytes_received,
            payload_bytes=now.payload_bytes_sent + now.payload_bytes_received
            - counters.payload_bytes_sent - counters.payload_bytes_received)

    def reset(self) -> None:
        self.link.reset()

    def close(self) -> None:
        self._port.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def argument_parser(description: str):
    """The command line of a script that runs on the served simulation by default or on
    a board (``--port``, ``--baud``): the examples' and yours."""
    import argparse
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", help="serial port or pyserial URL of a board "
                                       "(default: the served simulation)")
    parser.add_argument("--baud", type=int,
                        help=f"the board's link baud (default {DEFAULT_BAUD})")
    return parser


@contextlib.contextmanager
def connect(design: DesignConfig, port: str | None = None, *, baud: int | None = None,
            units=None):
    """The design's accelerator: on the board at ``port`` (a serial device or any
    pyserial URL), or, without one, on its simulation served for the occasion (of
    ``units`` alone where given: the ones the program uses)."""
    if port is not None:
        with Accelerator.open(port, design, baud=baud) as accelerator:
            yield accelerator
        return
    from accelgen.sim.serve import start_server
    if units is not None:
        design = design.only(units)
    with start_server(design) as server, Accelerator.open(server.url, design) as accelerator:
        yield accelerator
