"""Writing outputs so that a failure never leaves a half-written file behind."""

import os
import tempfile
from pathlib import Path

from .errors import AccelgenError


def output_directory(path: str | Path) -> Path:
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise AccelgenError(f"{path}: cannot create output folder ({error.strerror})") from None
    return path


def writable_file(path: str | Path, what: str) -> Path:
    """``path`` as an output file that can be written: checked before a long run, so that
    its result is not lost at the end."""
    path = Path(path)
    if path.is_dir():
        raise AccelgenError(f"{what}: {path} is a folder; give a file name")
    output_directory(path.parent)
    if not os.access(path.parent, os.W_OK):
        raise AccelgenError(f"{what}: cannot write into {path.parent} (permission denied)")
    return path


def write_atomically(path: str | Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place."""
    path = Path(path)
    output_directory(path.parent)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:100]}.")
    except OSError as error:
        raise AccelgenError(f"{path}: cannot write ({error.strerror})") from None
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        # mkstemp makes the file 0600; an output file gets the mode the umask gives
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise AccelgenError(f"{path}: cannot write ({error.strerror})") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
