"""`accelgen serve`: the host-linked system, Verilated, behind a TCP socket.

The driver talks to it through pyserial's ``socket://`` URL exactly as it talks to a
board's serial port. The model is built once per design (its Verilog's hash names the
build) and then starts in well under a second.
"""

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from accelgen.config import DesignConfig
from accelgen.errors import AccelgenError
from accelgen.files import write_atomically
from accelgen.generation import default_build_dir
from accelgen.link_protocol import DeviceFrame, device_frame
from accelgen.progress import step
from accelgen.tools import verilator_binary, verilator_environment

from .lint import VERILATOR_WAIVERS

TOP = "link_system"
BUSY_MESSAGE = b"another client is connected to this accelgen serve"


def system_verilog(design: DesignConfig) -> str:
    from amaranth.back import rtlil, verilog

    from accelgen.hw.link_system import LinkSystem
    from accelgen.link_plan import link_plan
    from accelgen.netlist import drop_memory_init

    system = LinkSystem(design, link_plan(design, clock_hz=0, baud=0))
    return verilog._convert_rtlil_text(
        drop_memory_init(rtlil.convert(system, name=TOP, emit_src=False)))


def build_server(design: DesignConfig, build_dir: str | Path | None = None) -> Path:
    """The server binary for ``design``, built unless an identical one exists."""
    text = system_verilog(design)
    harness = resources.files("accelgen.sim").joinpath("serve_main.cpp").read_text()
    digest = hashlib.sha256((text + harness).encode()).hexdigest()[:12]
    work = Path(build_dir or default_build_dir(design) / "serve") / digest
    binary = work / "obj" / "serve"
    if binary.is_file():
        return binary
    # built aside and renamed into place: two processes may build the same design
    staging = work.with_name(f"{work.name}.{os.getpid()}")
    staging.mkdir(parents=True, exist_ok=True)
    source = write_atomically(staging / f"{TOP}.v", text)
    main = write_atomically(staging / "serve_main.cpp", harness)
    env = {**os.environ, **verilator_environment()}
    with step(f"building the Verilated system of {design.name} (once per design)"):
        done = subprocess.run(
            [verilator_binary(), "--cc", "--exe", "--build", "-O3", "--x-assign", "fast",
             "--x-initial", "fast", "--noassert", "-Wno-fatal", *VERILATOR_WAIVERS,
             "--top-module", TOP, "--Mdir", str(staging / "obj"), "-o", "serve",
             "-CFLAGS", "-O2", "-j", "2", str(source), str(main)],
            capture_output=True, text=True, env=env)
    if done.returncode != 0 or not (staging / "obj" / "serve").is_file():
        log = write_atomically(staging / "build.log", done.stdout + done.stderr)
        raise AccelgenError(f"serve: building the Verilated system failed; see {log}")
    try:
        staging.rename(work)
    except OSError:          # another process got there first: its build is the same
        shutil.rmtree(staging, ignore_errors=True)
    return binary


@dataclass
class Server:
    """A running server; ``url`` is what ``Accelerator.open`` takes."""
    process: subprocess.Popen
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_server(design: DesignConfig, port: int = 0,
                 build_dir: str | Path | None = None) -> Server:
    if not 0 <= port <= 65535:
        raise AccelgenError(f"--port: must be 0..65535 (0: any free port), got {port}")
    binary = build_server(design, build_dir)
    busy = device_frame(DeviceFrame.BUSY, 0, body=BUSY_MESSAGE).hex()
    process = subprocess.Popen([str(binary), str(port), busy], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    if not line.startswith("listening "):
        process.wait()
        reason = process.stderr.read().strip().removeprefix("error: ")
        raise AccelgenError(f"serve: {reason or 'the server did not start'}")
    return Server(process, f"socket://{line.removeprefix('listening ')}")
