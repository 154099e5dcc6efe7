"""The host-linked system: the link's receiver and transmitter, a FrameFIFO per unit
input port, and every unit of the design, on one byte stream each way.

Boards put a UART in front of ``rx``/``tx`` (boards/system_top.py); ``accelgen serve``
drives the byte streams directly from a socket (sim/serve.py).
"""

from amaranth.hdl import Cat, Const, Module, ResetInserter, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from accelgen.link_plan import status_layouts
from accelgen.link_protocol import STATUS_COUNTERS
from accelgen.registry import UNIT_KINDS

from .frame_fifo import FrameFIFO
from .link_receiver import COUNTER_BITS, RESPONSE_LAYOUT, LinkReceiver
from .link_transmitter import LinkTransmitter
from .result_store import ResultStore

# answers waiting for the line; a full queue holds the next END back
RESPONSE_QUEUE = 16


def status_bytes(plan) -> int:
    return len(STATUS_COUNTERS) * 2 + 2 + len(plan.inputs) + \
        sum(unit.status_bytes for unit in plan.units)


class LinkSystem(wiring.Component):
    """Parameters: ``design`` (DesignConfig) and ``plan`` (its LinkPlan).

    Members
    -------
    rx : In(stream.Signature(8))
        Bytes from the host.
    tx : Out(stream.Signature(8))
        Bytes to the host.
    framing_error : In(1)
        The UART received a byte without its stop bit (counted for STATUS).
    """

    rx: In(stream.Signature(8))
    tx: Out(stream.Signature(8))
    framing_error: In(1)

    def __init__(self, design, plan):
        self._design, self._plan = design, plan
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        plan = self._plan
        m.submodules.receiver = receiver = LinkReceiver(plan)
        m.submodules.store = store = ResultStore(plan, plan.result_slots)
        m.submodules.transmitter = transmitter = LinkTransmitter(
            plan, status_bytes(plan), len(store.frame_base), len(store.frame_length))
        m.submodules.answers = answers = SyncFIFOBuffered(width=RESPONSE_LAYOUT.size,
                                                          depth=RESPONSE_QUEUE)
        wiring.connect(m, wiring.flipped(self.rx), receiver.bytes_in)
        wiring.connect(m, transmitter.line, wiring.flipped(self.tx))
        m.d.comb += [
            answers.w_en.eq(receiver.response.valid),
            answers.w_data.eq(receiver.response.payload),
            receiver.response.ready.eq(answers.w_rdy),
            transmitter.response.valid.eq(answers.r_rdy),
            transmitter.response.payload.eq(answers.r_data),
            answers.r_en.eq(transmitter.response.ready),
            store.abort_units.eq(receiver.reset_units),
            store.clear.eq(receiver.reset_units.all()),
            transmitter.abort.eq(receiver.reset_units.all()),
            store.acknowledge.eq(receiver.result_ack),
            store.acknowledged.eq(receiver.result_seq),
            store.rewind.eq(receiver.resend),
            store.rewind_to.eq(receiver.result_seq),
        ]
        for name in ("frame_ready", "frame_seq", "frame_unit", "frame_port", "frame_length",
                     "frame_base", "read_data"):
            m.d.comb += getattr(transmitter, name).eq(getattr(store, name))
        for name in ("read_address", "sending", "sent"):
            m.d.comb += getattr(store, name).eq(getattr(transmitter, name))

        units = []
        for index, (name, config) in enumerate(self._design.units.items()):
            unit = ResetInserter({"sync": receiver.reset_units[index]})(
                UNIT_KINDS[config.kind].component(config))
            m.submodules[f"unit_{name}"] = unit
            units.append(unit)

        consumed = []
        free = []
        busy_inputs = []
        for number, port in enumerate(plan.inputs):
            fifo = FrameFIFO(port.beat_bytes, plan.fifo_depth(port))
            m.submodules[f"in{number}_{plan.units[port.unit].name}_{port.name}"] = fifo
            selected = receiver.target == number
            m.d.comb += [
                fifo.w_en.eq(receiver.w_en & selected),
                fifo.w_byte.eq(receiver.w_byte),
                fifo.w_lane.eq(receiver.w_lane),
                fifo.w_beat_done.eq(receiver.w_beat_done),
                fifo.commit.eq(receiver.commit & selected),
                fifo.rollback.eq(receiver.rollback & selected),
                fifo.clear.eq(receiver.reset_units[port.unit]),
            ]
            destination = getattr(units[port.unit], port.name)
            m.d.comb += [destination.valid.eq(fifo.beats.valid),
                         destination.payload.eq(fifo.beats.payload[:port.payload_bits]),
                         fifo.beats.ready.eq(destination.ready)]
            count = Signal(8, name=f"consumed{number}")
            with m.If(fifo.frame_consumed):
                m.d.sync += count.eq(count + 1)
            consumed.append(count)
            free.append(fifo.free)
            busy_inputs.append(fifo.beats.valid)
        with m.Switch(receiver.target):
            for number, fifo_free in enumerate(free):
                with m.Case(number):
                    m.d.comb += receiver.free.eq(fifo_free)

        for number, port in enumerate(plan.outputs):
            source = getattr(units[port.unit], port.name)
            sink = store.results[number]
            m.d.comb += [sink.valid.eq(source.valid), sink.payload.eq(source.payload),
                         source.ready.eq(sink.ready)]

        framing_errors = Signal(COUNTER_BITS)
        cycles = Signal(32)
        m.d.sync += cycles.eq(cycles + 1)
        # cycles in which some unit had a beat waiting to go in or out and none waited
        # for the link to take its result: the units' share of the time, against which
        # the link's is measured
        busy = Signal(32)
        pending = Signal(32)
        results = [getattr(units[port.unit], port.name) for port in plan.outputs]
        waiting = Cat(*busy_inputs, *(result.valid for result in results)).any()
        blocked = Cat(*(result.valid & ~result.ready for result in results)).any()
        with m.If(waiting):
            m.d.sync += pending.eq(pending + 1)
            with m.If(~blocked):
                m.d.sync += busy.eq(busy + 1)

        # the units' outputs beside their streams, each in whole bytes
        unit_status = []
        for unit, (name, config) in zip(units, self._design.units.items()):
            described = plan.units[plan.unit_index(name)]
            if described.status_bits:
                unit_status += [getattr(unit, port) for port in status_layouts(config)]
                unit_status.append(Const(0, 8 * described.status_bytes - described.status_bits))
        # the order of link_protocol.STATUS_COUNTERS
        m.d.comb += transmitter.status.eq(Cat(
            receiver.frames_ok, receiver.crc_errors, framing_errors, receiver.naks, cycles,
            busy, pending, receiver.expected_seq, store.oldest, *consumed, *unit_status))
        return m
