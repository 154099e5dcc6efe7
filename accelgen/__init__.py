"""accelgen: generator of verified accelerator blocks for low-bit LLM/DNN inference."""

from .config import DesignConfig, load_config
from .errors import AccelgenError

__all__ = ["AccelgenError", "DesignConfig", "load_config"]
