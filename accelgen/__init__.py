"""accelgen: generator of verified accelerator blocks for low-bit LLM/DNN inference.

The Python API mirrors the CLI: ``load_config``, ``generate``, ``simulate``,
``synthesize``, ``build_board``, ``bench``. The heavier ones import their toolchains
only when first used.
"""

import importlib
import importlib.metadata

from .config import DesignConfig, load_config
from .errors import AccelgenError

__version__ = importlib.metadata.version("accelgen")

_LAZY = {
    "generate": "accelgen.generation",
    "simulate": "accelgen.sim.runner",
    "synthesize": "accelgen.synth.flow",
    "build_board": "accelgen.boards.build",
    "bench": "accelgen.benchmark",
}

__all__ = ["AccelgenError", "DesignConfig", "load_config", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'accelgen' has no attribute {name!r}")
