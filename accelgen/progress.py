"""What is running, and for how long: every long step (elaboration, a Verilator or
Icarus build, a simulation, Yosys, nextpnr, a bitstream build) goes through
:func:`step`. On a terminal the step is one line with a live elapsed time; elsewhere
(CI, a pipe) a plain line when it starts and one when it ends. ``-q`` silences it;
``-v`` also follows the step's log file as the tool writes it. All of it goes to
stderr, so that stdout keeps only the results.
"""

import contextlib
import sys
import threading
import time
from pathlib import Path

QUIET, NORMAL, VERBOSE = 0, 1, 2
_level = NORMAL
_SPINNER = "|/-\\"


def set_level(level: int) -> None:
    global _level
    _level = level


def say(text: str) -> None:
    """A line of information (not a result): shown unless quiet."""
    if _level >= NORMAL:
        print(text, file=sys.stderr, flush=True)


@contextlib.contextmanager
def step(what: str, log: str | Path | None = None):
    """Run the body as the step ``what``; ``log`` is the file its tool writes."""
    if _level == QUIET:
        yield
        return
    stream = sys.stderr
    live = stream.isatty() and _level == NORMAL
    if _level == VERBOSE and log is not None:
        Path(log).unlink(missing_ok=True)     # the tool writes it afresh: follow only that
    start = time.monotonic()
    done = threading.Event()
    if not live:
        print(f"{what} ...", file=stream, flush=True)
    watcher = threading.Thread(target=_follow if _level == VERBOSE else _spin,
                               args=(what, log, start, done, stream), daemon=True)
    if live or (_level == VERBOSE and log is not None):
        watcher.start()
    try:
        yield
    finally:
        done.set()
        if watcher.is_alive():
            watcher.join()
        elapsed = time.monotonic() - start
        if live:
            print(f"\r{what}: {elapsed:.1f} s\033[K", file=stream, flush=True)
        else:
            print(f"{what}: done in {elapsed:.1f} s" + (f" (log {log})" if log else ""),
                  file=stream, flush=True)


def _spin(what, log, start, done, stream):
    turn = 0
    while not done.wait(0.2):
        turn += 1
        print(f"\r{_SPINNER[turn % 4]} {what}  {time.monotonic() - start:.0f} s\033[K",
              end="", file=stream, flush=True)


def _follow(what, log, start, done, stream):
    """Print the log's lines as they appear (the file may not exist yet)."""
    path, position = Path(log), 0
    while True:
        finished = done.wait(0.2)
        if path.is_file():
            with path.open(errors="replace") as file:
                file.seek(position)
                for line in file:
                    print(f"  | {line.rstrip()}", file=stream)
                position = file.tell()
        if finished:
            return
