"""The boards accelgen builds for: amaranth-boards platform, the synthesis device it
carries, and the LEDs that show the self-test's verdict."""

from dataclasses import dataclass

from accelgen.errors import AccelgenError


@dataclass(frozen=True)
class Board:
    name: str
    platform: str           # "amaranth_boards.module:Class"
    device: str             # key of accelgen.synth.devices.DEVICES
    pass_led: tuple         # (resource name, number, subsignal or None)
    fail_led: tuple
    programmer: str         # environment variable amaranth-boards reads, and its default
    programmer_default: str
    extra_tools: tuple = ()  # tools the platform's build script needs beside the toolchain
    baud: int | None = None  # the host link's default baud; None: no host link (yet)
    no_link: str = ""        # why not, for the one-line error

    def make_platform(self, program: bool = False):
        """The amaranth-boards platform. Some (ULX3S) list their programmer among the
        tools a build requires; a build that does not program must not need it."""
        import importlib
        module, name = self.platform.split(":")
        platform = getattr(importlib.import_module(module), name)
        if not program:
            tools = platform.required_tools.fget
            programmer = self.programmer_default
            platform = type(name, (platform,), {"required_tools": property(
                lambda self: [tool for tool in tools(self) if tool != programmer])})
        return platform()


BOARDS = {
    "icebreaker": Board("icebreaker", "amaranth_boards.icebreaker:ICEBreakerPlatform",
                        "ice40-up5k", pass_led=("led_g", 0, None), fail_led=("led_r", 0, None),
                        programmer="ICEPROG", programmer_default="iceprog",
                        # FT2232H interface B; 12 MHz / 4
                        baud=3_000_000),
    "ulx3s-85f": Board("ulx3s-85f", "amaranth_boards.ulx3s:ULX3S_85F_Platform", "ecp5-85k",
                       pass_led=("led", 0, None), fail_led=("led", 7, None),
                       programmer="OPENFPGALOADER", programmer_default="openFPGALoader",
                       # FT231X on US1; 3 Mbaud would be 8.33 cycles of 25 MHz per bit
                       baud=1_000_000),
    "orangecrab-85f": Board("orangecrab-85f",
                            "amaranth_boards.orangecrab_r0_2:OrangeCrabR0_2_85FPlatform",
                            "ecp5-85k", pass_led=("rgb_led", 0, "g"),
                            fail_led=("rgb_led", 0, "r"),
                            programmer="DFU_UTIL", programmer_default="dfu-util",
                            extra_tools=("dfu-suffix",),
                            no_link="it has only USB, and the USB CDC-ACM link (luna-usb) "
                                    "is not built yet"),
}


def board(name: str) -> Board:
    if name not in BOARDS:
        raise AccelgenError(f"--board: unknown board {name!r}; allowed: {', '.join(BOARDS)}")
    return BOARDS[name]
