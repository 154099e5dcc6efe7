"""A unit behind AXI4-Stream ports with AMD's names, for flows that expect them.

Each stream port ``p`` of the unit becomes ``s_axis_p_*`` (inputs) or ``m_axis_p_*``
(outputs): ``tvalid``, ``tready``, ``tdata`` and, where the payload has a ``last`` field,
``tlast``. ``tdata`` is the payload without ``last``: its other fields in the same order,
LSB first, padded with zero bits to whole bytes (outputs drive the padding 0, inputs
ignore it), so no ``tkeep`` is needed: every beat is whole. The clock is ``aclk``, the
reset ``aresetn`` (synchronous, active low). Other ports (the KV buffer's ``status``)
keep their names.
"""

from dataclasses import dataclass

from amaranth.hdl import Cat, ClockDomain, Module, Shape
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out


@dataclass(frozen=True)
class AxiPort:
    """How one stream of the unit appears on the wrapper."""

    stream: str          # the unit's port name
    prefix: str          # s_axis_<stream> or m_axis_<stream>
    is_output: bool
    payload_bits: int
    last_offset: int | None      # where ``last`` sits in the payload (None: no tlast)

    @property
    def data_bits(self) -> int:
        """The payload bits tdata carries (all but ``last``)."""
        return self.payload_bits - (self.last_offset is not None)

    @property
    def tdata_bits(self) -> int:
        return max(8, -(-self.data_bits // 8) * 8)

    def to_tdata(self, payload: int) -> tuple[int, int]:
        """(tdata, tlast) of a payload integer."""
        if self.last_offset is None:
            return payload, 1
        low = payload & ((1 << self.last_offset) - 1)
        return low | (payload >> (self.last_offset + 1)) << self.last_offset, \
            payload >> self.last_offset & 1

    def to_payload(self, tdata: int, tlast: int) -> int:
        """The payload integer of a beat (the padding bits dropped)."""
        tdata &= (1 << self.data_bits) - 1
        if self.last_offset is None:
            return tdata
        low = tdata & ((1 << self.last_offset) - 1)
        return low | tlast << self.last_offset | (tdata >> self.last_offset) << \
            (self.last_offset + 1)


def axi_ports(signature: wiring.Signature) -> list[AxiPort]:
    """The AXI4-Stream ports of a unit with this signature, in its member order."""
    ports = []
    for name, member in signature.members.items():
        if member.is_port or not isinstance(member.signature, stream.Signature):
            continue
        layout = member.signature.members["payload"].shape
        fields = dict(layout) if isinstance(layout, data.StructLayout) else {}
        last = fields["last"].offset if "last" in fields else None
        is_output = member.flow == wiring.Out
        ports.append(AxiPort(name, f"{'m' if is_output else 's'}_axis_{name}", is_output,
                             Shape.cast(layout).width, last))
    return ports


class AxiStreamWrapper(wiring.Component):
    """``unit`` with AXI4-Stream ports (see the module's docstring).

    Parameters
    ----------
    unit : wiring.Component
        the unit, elaborated inside the wrapper (one module for the user to add).
    """

    def __init__(self, unit: wiring.Component):
        self._unit = unit
        self._ports = axi_ports(unit.signature)
        members = {"aclk": In(1), "aresetn": In(1)}
        for port in self._ports:
            toward, back = (Out, In) if port.is_output else (In, Out)
            members[f"{port.prefix}_tdata"] = toward(port.tdata_bits)
            members[f"{port.prefix}_tvalid"] = toward(1)
            members[f"{port.prefix}_tready"] = back(1)
            if port.last_offset is not None:
                members[f"{port.prefix}_tlast"] = toward(1)
        for name, member in unit.signature.members.items():
            if member.is_port:
                members[name] = member
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = sync = ClockDomain("sync")
        m.d.comb += [sync.clk.eq(self.aclk), sync.rst.eq(~self.aresetn)]
        m.submodules.unit = unit = self._unit
        for port in self._ports:
            inner = getattr(unit, port.stream)
            payload = inner.payload.as_value()
            tdata, tvalid, tready = (getattr(self, f"{port.prefix}_{signal}")
                                     for signal in ("tdata", "tvalid", "tready"))
            if port.last_offset is None:
                bits = payload
            else:
                bits = Cat(payload[:port.last_offset], payload[port.last_offset + 1:])
            if port.is_output:
                m.d.comb += [tdata.eq(bits), tvalid.eq(inner.valid), inner.ready.eq(tready)]
                if port.last_offset is not None:
                    m.d.comb += getattr(self, f"{port.prefix}_tlast").eq(
                        payload[port.last_offset])
            else:
                m.d.comb += [bits.eq(tdata), inner.valid.eq(tvalid), tready.eq(inner.ready)]
                if port.last_offset is not None:
                    m.d.comb += payload[port.last_offset].eq(
                        getattr(self, f"{port.prefix}_tlast"))
        for name, member in unit.signature.members.items():
            if member.is_port:
                if member.flow == wiring.Out:
                    m.d.comb += getattr(self, name).eq(getattr(unit, name))
                else:
                    m.d.comb += getattr(unit, name).eq(getattr(self, name))
        return m
