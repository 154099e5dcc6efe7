"""An 8N1 UART: a byte stream to a serial pin and back, at clock / ``divisor`` baud.

The receiver samples each bit once, at its middle, timed from the start bit's falling
edge; it is re-timed on every start bit, so a baud error adds up over at most ten bits.
A byte whose stop bit is low is not delivered but counted (``framing_error``), and the
receiver then waits for the line to go idle (a break holds it low).
"""

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

SYNCHRONIZER_STAGES = 2


def uart_divisor(clock_hz: int, baud: int) -> int:
    return round(clock_hz / baud)


class UARTTransmitter(wiring.Component):
    """``bytes`` in, ``tx`` out (idle high)."""

    bytes: In(stream.Signature(8))
    tx: Out(1, init=1)

    def __init__(self, divisor: int):
        self._divisor = divisor
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        frame = Signal(10)             # stop, data (LSB first), start: shifted out LSB first
        bits_left = Signal(range(11))
        timer = Signal(range(self._divisor))
        m.d.comb += self.bytes.ready.eq(bits_left == 0)
        with m.If(self.bytes.valid & self.bytes.ready):
            m.d.sync += [frame.eq(Cat(Const(0, 1), self.bytes.payload, Const(1, 1))),
                         bits_left.eq(10), timer.eq(0)]
        with m.Elif(bits_left != 0):
            m.d.sync += self.tx.eq(frame[0])
            with m.If(timer == self._divisor - 1):
                m.d.sync += [timer.eq(0), frame.eq(frame >> 1), bits_left.eq(bits_left - 1)]
            with m.Else():
                m.d.sync += timer.eq(timer + 1)
        with m.Else():
            m.d.sync += self.tx.eq(1)
        return m


class UARTReceiver(wiring.Component):
    """``rx`` in (asynchronous), ``bytes`` out. The stream cannot be held back (a serial
    line does not wait): a byte not taken in its cycle is lost and counted as an
    overrun."""

    rx: In(1, init=1)
    bytes: Out(stream.Signature(8))
    framing_error: Out(1)
    overrun: Out(1)

    def __init__(self, divisor: int):
        if divisor < 4:
            raise ValueError(f"a UART needs at least 4 clock cycles per bit, got {divisor}")
        self._divisor = divisor
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        line = Signal(init=1)
        m.submodules.synchronizer = FFSynchronizer(self.rx, line, init=1,
                                                   stages=SYNCHRONIZER_STAGES)
        divisor = self._divisor
        timer = Signal(range(divisor))
        bit = Signal(range(10))
        shift = Signal(8)
        # the start bit's middle: the synchronized edge is seen 1 + SYNCHRONIZER_STAGES
        # cycles (+ 0..1) after the real one, and the stages cancel out of the wait
        half = (divisor - 3) // 2

        with m.FSM():
            with m.State("idle"):
                with m.If(~line):
                    m.d.sync += timer.eq(0)
                    m.next = "start"
            with m.State("start"):
                # to the middle of the start bit: still low, or it was a glitch
                m.d.sync += timer.eq(timer + 1)
                with m.If(timer == half):
                    m.d.sync += [timer.eq(0), bit.eq(0)]
                    m.next = "bits"
                    with m.If(line):
                        m.next = "idle"
            with m.State("bits"):
                m.d.sync += timer.eq(timer + 1)
                with m.If(timer == divisor - 1):
                    m.d.sync += [timer.eq(0), bit.eq(bit + 1)]
                    with m.If(bit < 8):
                        m.d.sync += shift.eq(Cat(shift[1:], line))
                    with m.Else():
                        with m.If(line):
                            m.d.comb += self.bytes.valid.eq(1)
                            m.d.comb += self.overrun.eq(~self.bytes.ready)
                            m.next = "idle"
                        with m.Else():
                            m.d.comb += self.framing_error.eq(1)
                            m.next = "break"
            with m.State("break"):
                with m.If(line):
                    m.next = "idle"
        m.d.comb += self.bytes.payload.eq(shift)
        return m
