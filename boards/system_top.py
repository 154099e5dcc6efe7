"""The host-linked system on a board: the board's USB-UART pins, the UART, and the
link system with every unit of the design (hw/link_system.py)."""

from amaranth.hdl import Elaboratable, Module
from amaranth.lib import io

from accelgen.errors import AccelgenError
from accelgen.hw.link_system import LinkSystem
from accelgen.hw.uart import UARTReceiver, UARTTransmitter, uart_divisor

#: the largest difference between the configured baud and the one the clock makes
BAUD_TOLERANCE = 0.01
#: the receiver samples each bit once; below this it cannot find a bit's middle
FEWEST_CYCLES_PER_BIT = 4


def checked_divisor(clock_hz: int, baud: int, board: str) -> int:
    """Clock cycles per bit, or a one-line error naming bauds this clock does make."""
    divisor = uart_divisor(clock_hz, baud)
    error = abs(clock_hz / max(divisor, 1) - baud) / baud
    if divisor >= FEWEST_CYCLES_PER_BIT and error <= BAUD_TOLERANCE:
        return divisor
    exact = [clock_hz // cycles for cycles in range(FEWEST_CYCLES_PER_BIT, 64)
             if clock_hz % cycles == 0][:4]
    raise AccelgenError(
        f"host.baud: {baud} baud on {board} ({clock_hz / 1e6:g} MHz) is "
        f"{clock_hz / baud:.2f} clock cycles per bit; the UART needs at least "
        f"{FEWEST_CYCLES_PER_BIT} and at most {BAUD_TOLERANCE:.0%} baud error "
        f"({error:.1%} here); exact bauds: {', '.join(map(str, exact))}")


class SystemTop(Elaboratable):
    def __init__(self, design, plan, divisor: int):
        self._design, self._plan, self._divisor = design, plan, divisor

    def elaborate(self, platform):
        m = Module()
        uart = platform.request("uart", 0, dir="-")
        m.submodules.rx_pin = rx_pin = io.Buffer("i", uart.rx)
        m.submodules.tx_pin = tx_pin = io.Buffer("o", uart.tx)
        m.submodules.receiver = receiver = UARTReceiver(self._divisor)
        m.submodules.transmitter = transmitter = UARTTransmitter(self._divisor)
        m.submodules.system = system = LinkSystem(self._design, self._plan)
        m.d.comb += [
            receiver.rx.eq(rx_pin.i),
            tx_pin.o.eq(transmitter.tx),
            system.rx.valid.eq(receiver.bytes.valid),
            system.rx.payload.eq(receiver.bytes.payload),
            receiver.bytes.ready.eq(system.rx.ready),
            # a byte lost to a full answer queue breaks its frame like a bad stop bit
            system.framing_error.eq(receiver.framing_error | receiver.overrun),
            transmitter.bytes.valid.eq(system.tx.valid),
            transmitter.bytes.payload.eq(system.tx.payload),
            system.tx.ready.eq(transmitter.bytes.ready),
        ]
        return m
