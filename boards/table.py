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
    fail_led: tuple | None  # None: one LED, which blinks on a failure
    programmer: str | None  # environment variable amaranth-boards reads (None: it reads none)
    programmer_default: str | None   # the command it runs (None: it cannot program this board)
    extra_tools: tuple = ()  # tools the platform's build script needs beside the toolchain
    baud: int | None = None  # the host link's default baud; None: no host link
    bridge: str = ""         # the USB-UART chip the link goes through
    no_link: str = ""        # why there is no link, for the one-line error
    also_on: tuple = ()      # pins that must be high for the verdict LEDs to light

    def make_platform(self, program: bool = False):
        """The amaranth-boards platform. Some (ULX3S) list their programmer among the
        tools a build requires; a build that does not program must not need it."""
        import importlib

        from .gowin import himbaechel_flow
        module, name = self.platform.split(":")
        platform = himbaechel_flow(getattr(importlib.import_module(module), name))
        if not program:
            tools = platform.required_tools.fget
            programmer = self.programmer_default
            platform = type(name, (platform,), {"required_tools": property(
                lambda self: [tool for tool in tools(self) if tool != programmer])})
        return platform()

    @property
    def link(self) -> str:
        """The host link in words, for `accelgen list`."""
        return f"UART {self.baud} baud via {self.bridge}" if self.baud else \
            f"none ({self.no_link})"


_USB_ONLY = "it has only USB, and the USB CDC-ACM link (luna-usb) is not built yet"
# measured (BENCHMARKS.md, "boards"): the systems that do not build on boards that
# have a USB-UART chip
_TOO_FAST = ("the host-linked system closes timing at 47-62 MHz on ECP5, below this "
             "board's 100 MHz clock (no PLL stage yet)")
_TOO_SMALL = ("the host-linked system, about 2,700 logic cells with the smallest unit, "
              "does not fit the HX1K's 1,280")
# a conservative rate for an MCU bridge (host.baud sets another)
_ICELINK = "the iCELink (an STM32 USB-UART bridge)"
_NO_BRIDGE = "its UART pins go to a header, not to a USB-UART chip on the board"


def _boards(*boards: Board) -> dict:
    return {entry.name: entry for entry in boards}


def _family(leds: tuple, programmer: tuple, device: str | None = None):
    """A maker of a family's boards, with its usual LEDs, programmer and device."""
    def board(name, platform, device=device, *, leds=leds, programmer=programmer, **link):
        return Board(name, f"amaranth_boards.{platform}", device, *leds, *programmer, **link)
    return board


_LEDS = (("led", 0, None), ("led", 1, None))
_ice40 = _family((("led_g", 0, None), ("led_r", 0, None)), ("ICEPROG", "iceprog"),
                 "ice40-up5k")
_ecp5 = _family(_LEDS, ("OPENFPGALOADER", "openFPGALoader"))
# amaranth-boards runs openFPGALoader itself for these, reading no variable
_gowin = _family(_LEDS, (None, "openFPGALoader"))


_RGB = (("rgb_led", 0, "g"), ("rgb_led", 0, "r"))
_DFU = ("DFU_UTIL", "dfu-util")

# Every board amaranth-boards defines with an iCE40 UP5K or HX, an ECP5 or a Gowin
# GW1NR-9 / GW2A-18 that it can program and build. Left out: the BlackIce boards (they
# are programmed by copying to a serial port) and the Supercon badge (its platform's
# toolchain_prepare passes every build option twice, so no build starts).
# Host links only where a USB-UART chip is on the board; bauds are whole divisors of the
# board's clock.
BOARDS = _boards(
    # iCE40 UP5K
    _ice40("icebreaker", "icebreaker:ICEBreakerPlatform", baud=3_000_000,
           bridge="FT2232H interface B (12 MHz / 4)"),
    _ice40("icebreaker-bitsy", "icebreaker_bitsy:ICEBreakerBitsyPlatform", programmer=_DFU,
           no_link=_USB_ONLY),
    _ice40("fomu-pvt", "fomu_pvt:FomuPVTPlatform", leds=_RGB, programmer=_DFU,
           no_link=_USB_ONLY),
    _ice40("fomu-hacker", "fomu_hacker:FomuHackerPlatform", leds=_RGB, programmer=_DFU,
           no_link=_USB_ONLY),
    _ice40("ice40-up5k-b-evn", "ice40_up5k_b_evn:ICE40UP5KBEVNPlatform",
           no_link="its FTDI chip programs the flash; amaranth-boards gives it no UART"),
    _ice40("icesugar", "icesugar:ICESugarPlatform", programmer=(None, "icesprog"),
           baud=115_200, bridge=_ICELINK),
    _ice40("upduino-v2", "upduino_v2:UpduinoV2Platform",
           no_link="its FTDI chip programs the flash; amaranth-boards gives it no UART"),
    _ice40("upduino-v3", "upduino_v3:UpduinoV3Platform", leds=_RGB,
           no_link="its FTDI chip programs the flash; amaranth-boards gives it no UART"),
    # iCE40 HX
    _ice40("ice40-hx8k-b-evn", "ice40_hx8k_b_evn:ICE40HX8KBEVNPlatform", "ice40-hx8k",
           leds=_LEDS, baud=3_000_000,
           bridge="FT2232H interface B (12 MHz / 4)"),
    _ice40("icestick", "icestick:ICEStickPlatform", "ice40-hx1k",
           leds=(("led", 4, None), ("led", 0, None)),      # the green one, a red one
           no_link=_TOO_SMALL),
    _ice40("nandland-go", "nandland_go:NandlandGoPlatform", "ice40-hx1k",
           leds=_LEDS, no_link=_TOO_SMALL),
    _ice40("ice40-hx1k-blink-evn", "ice40_hx1k_blink_evn:ICE40HX1KBlinkEVNPlatform",
           "ice40-hx1k", leds=_LEDS,
           programmer=("ICEBURN", "iCEburn"), no_link="it has no USB-UART chip"),
    # ECP5
    *(_ecp5(f"ulx3s-{size}f", f"ulx3s:ULX3S_{size}F_Platform", f"ecp5-{size}k",
            leds=(("led", 0, None), ("led", 7, None)), baud=1_000_000,
            bridge="FT231X on US1 (25 MHz / 25)")
      for size in (12, 25, 45, 85)),
    *(_ecp5(f"orangecrab-{size}f", f"orangecrab_r0_2:OrangeCrabR0_2_{size}FPlatform",
            f"ecp5-{size}k", leds=_RGB, programmer=_DFU, extra_tools=("dfu-suffix",),
            no_link=_USB_ONLY)
      for size in (25, 85)),
    *(_ecp5(f"ecpix5-{size}f", f"ecpix5:ECPIX5{size}Platform", f"ecp5-{size}k",
            leds=(("rgb_led", 0, "g"), ("rgb_led", 0, "r")), no_link=_TOO_FAST)
      for size in (45, 85)),
    _ecp5("butterstick", "butterstick:ButterStickPlatform", "ecp5-85k",
          leds=(("rgb_leds_muxed", 0, "g"), ("rgb_leds_muxed", 0, "r")),
          also_on=(("rgb_leds_muxed", 0, "leds"),), programmer=(None, None),
          no_link=_USB_ONLY),
    _ecp5("colorlight-5a-75b", "colorlight_5a75b_r7_0:Colorlight_5A75B_R70Platform",
          "ecp5-25k", leds=(("led", 0, None), None), no_link=_NO_BRIDGE),
    _ecp5("icesugar-pro", "icesugar_pro:ICESugarProPlatform", "ecp5-25k", leds=_RGB,
          programmer=(None, "icesprog"), baud=115_200, bridge=_ICELINK),
    _ecp5("icepi-zero", "icepi_zero:IcepiZero1_3Platform", "ecp5-25k",
          no_link="amaranth-boards' UART on it was not checked against a USB-UART chip"),
    _ecp5("versa-ecp5", "versa_ecp5:VersaECP5Platform", "ecp5-45k",
          programmer=("OPENOCD", "openocd"), no_link=_TOO_FAST),
    _ecp5("versa-ecp5-5g", "versa_ecp5_5g:VersaECP55GPlatform", "ecp5-45k",
          programmer=("OPENOCD", "openocd"), no_link=_TOO_FAST),
    _ecp5("ecp5-5g-evn", "ecp5_5g_evn:ECP55GEVNPlatform", "ecp5-85k",
          programmer=("OPENOCD", "openocd"), baud=3_000_000,
          bridge="FT2232H interface B (12 MHz / 4)"),
    _ecp5("logicbone", "logicbone:LogicbonePlatform", "ecp5-45k", programmer=_DFU,
          no_link=_USB_ONLY),
    _ecp5("logicbone-85f", "logicbone:Logicbone85FPlatform", "ecp5-85k", programmer=_DFU,
          no_link=_USB_ONLY),
    # Gowin (the open flow: boards/gowin.py)
    _gowin("tang-nano-9k", "tang_nano_9k:TangNano9kPlatform", "gowin-gw1nr-9",
           baud=1_000_000, bridge="the BL702 USB-JTAG/UART bridge (27 MHz / 27)"),
    _gowin("tang-primer-20k-dock", "tang_primer_20k:TangPrimer20kDockPlatform",
           "gowin-gw2a-18", baud=1_000_000,
           bridge="the dock's BL616 USB-JTAG/UART bridge (27 MHz / 27)"),
)


def board(name: str) -> Board:
    if name not in BOARDS:
        raise AccelgenError(f"--board: unknown board {name!r}; allowed: {', '.join(BOARDS)}")
    return BOARDS[name]
