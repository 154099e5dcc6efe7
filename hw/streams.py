"""The component signature every unit shares: one stream per payload layout."""

from amaranth.lib import stream
from amaranth.lib.wiring import In, Out


def stream_signature(input_layouts: dict, output_layouts: dict) -> dict:
    """Signature members: an input stream per input layout, an output stream per
    output layout, named as the layouts are."""
    return ({name: In(stream.Signature(layout)) for name, layout in input_layouts.items()} |
            {name: Out(stream.Signature(layout)) for name, layout in output_layouts.items()})
