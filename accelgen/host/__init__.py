"""The host driver: run work on a board's accelerator or on `accelgen serve`'s
simulation through one interface (``Accelerator.open(url)``)."""

from .accelerator import Accelerator, argument_parser, connect
from .link import HostError, Link
from .unit_driver import UnitDriver

__all__ = ["Accelerator", "HostError", "Link", "UnitDriver", "argument_parser", "connect"]
