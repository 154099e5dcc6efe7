"""Frame bytes to line bytes: SLIP escapes, the END that closes a frame, and the
ESC END pair that aborts one (the receiver drops a frame with a broken escape)."""

import enum

from amaranth.hdl import Module, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from accelgen.link_protocol import END, ESC, ESC_END, ESC_ESC


class Marker(enum.IntEnum):
    DATA = 0
    END = 1      # close the frame
    ABORT = 2    # end the frame so that it fails at the receiver


SYMBOL_LAYOUT = data.StructLayout({"byte": 8, "marker": 2})


class SlipEncoder(wiring.Component):
    symbols: In(stream.Signature(SYMBOL_LAYOUT))
    line: Out(stream.Signature(8))

    def elaborate(self, platform):
        m = Module()
        symbol = self.symbols.payload
        second = Signal()    # the second byte of an escape pair is due
        special = (symbol.marker == Marker.ABORT) | \
            ((symbol.marker == Marker.DATA) & ((symbol.byte == END) | (symbol.byte == ESC)))
        m.d.comb += self.line.valid.eq(self.symbols.valid)
        with m.If(second):
            with m.If(symbol.marker == Marker.ABORT):
                m.d.comb += self.line.payload.eq(END)
            with m.Elif(symbol.byte == END):
                m.d.comb += self.line.payload.eq(ESC_END)
            with m.Else():
                m.d.comb += self.line.payload.eq(ESC_ESC)
            m.d.comb += self.symbols.ready.eq(self.line.ready)
            with m.If(self.line.ready):
                m.d.sync += second.eq(0)
        with m.Elif(special):
            m.d.comb += self.line.payload.eq(ESC)
            with m.If(self.symbols.valid & self.line.ready):
                m.d.sync += second.eq(1)
        with m.Else():
            m.d.comb += [self.line.payload.eq(symbol.byte),
                         self.symbols.ready.eq(self.line.ready)]
            with m.If(symbol.marker == Marker.END):
                m.d.comb += self.line.payload.eq(END)
        return m
