"""The unit contract (accelgen/unit.py), checked on every registered kind, the test
suite's own `adder` kind included; and the import graph the contract depends on."""

import ast
import gc
import inspect
import subprocess
import sys

import pytest
from amaranth.lib import wiring

from accelgen.doc_tables import stale_pages
from accelgen.link_plan import status_layouts
from accelgen.registry import UNIT_KINDS, register
from accelgen.sim.bench import Bench
from accelgen.unit import MemoryUse, UnitConfig

from .conftest import ROOT, case_design

KINDS = list(UNIT_KINDS)


def test_the_test_suite_kind_is_registered_by_its_own_module():
    assert "adder" in UNIT_KINDS
    assert type(UNIT_KINDS["adder"]).__module__ == "tests.adder_unit"


@pytest.mark.parametrize("name", KINDS)
def test_kind_names_agree(name):
    kind = UNIT_KINDS[name]
    assert kind.name == name == kind.config_class.kind


@pytest.mark.parametrize("name", KINDS)
def test_kind_provides_every_part(name):
    kind = UNIT_KINDS[name]
    assert issubclass(kind.config_class, UnitConfig)
    assert not inspect.isabstract(kind.config_class), "latency, throughput, multiplier_shapes"
    assert kind.doc.is_file(), f"no doc page {kind.doc}"
    assert "minimum" in kind.test_configs
    bench = kind.bench()
    assert issubclass(bench, Bench) and not inspect.isabstract(bench), \
        f"{bench.__name__} lacks hooks: {sorted(getattr(bench, '__abstractmethods__', []))}"
    reference = kind.reference()
    # the bench names its config class and reference itself (the simulator process
    # knows no registry): they must be the kind's
    assert bench.config_class is kind.config_class and bench.reference is reference
    for part in ("input_layouts", "output_layouts", "reference_beats"):
        assert callable(getattr(reference, part, None)), f"the reference has no {part}"


@pytest.mark.parametrize("name", KINDS)
@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")
def test_every_test_config_meets_the_contract(name):
    kind = UNIT_KINDS[name]
    for case in kind.test_configs:
        design, unit = case_design(name, case)
        config = design.units[unit]
        assert type(config) is kind.config_class, f"{case} is not a {name} config"
        assert isinstance(config.latency, int) and isinstance(config.throughput, str)
        assert all(len(shape) == 2 for shape in config.multiplier_shapes)
        assert all(isinstance(memory, MemoryUse) and memory.bits > 0
                   for memory in config.memories), "memories are what check lists"
        inputs = kind.reference().input_layouts(config)
        outputs = kind.reference().output_layouts(config)
        assert all("last" in dict(layout) for layout in inputs.values()), \
            "every input payload frames its jobs with `last`"
        assert len(outputs) == 1, "the board self-test signs exactly one result stream"
        assert set(kind.selftest_frames(config)) == set(inputs)
        component = kind.component(config)
        assert isinstance(component, wiring.Component)
        streams = {str(path[0]) for path, member in component.signature.members.flatten()
                   if len(path) == 2 and str(path[1]) == "payload"}
        assert streams == set(inputs) | set(outputs), \
            "the component's streams are the reference's layouts"
        beside = {name: member.shape for name, member in component.signature.members.items()
                  if member.is_port}
        declared = status_layouts(config)
        assert beside == declared and all(member.flow == wiring.Out for name, member in
                                          component.signature.members.items()
                                          if name in beside), \
            "outputs beside the streams are the reference's status_layouts (the link reports them)"
        paragraphs = (type(component).__doc__ or "").split("\n\n")
        assert len(paragraphs) >= 2, "the docstring's second paragraph is the job protocol"
        del component
        gc.collect()    # built to look at, never elaborated: warn here, where it is ignored


def test_doc_tables_are_generated_from_the_configs():
    """`python -m accelgen.doc_tables` rewrites them after a config change."""
    assert stale_pages() == []


def test_a_kind_name_cannot_be_taken_twice():
    class Impostor(type(UNIT_KINDS["systolic"])):
        pass
    with pytest.raises(ValueError, match="registered already"):
        register(Impostor())
    assert type(UNIT_KINDS["systolic"]).__name__ == "SystolicKind"


# --- the import graph ------------------------------------------------------------------

PACKAGES = {"accelgen": ROOT / "accelgen", "accelgen.hw": ROOT / "hw",
            "accelgen.golden": ROOT / "golden", "accelgen.sim": ROOT / "sim",
            "accelgen.synth": ROOT / "synth", "accelgen.boards": ROOT / "boards"}


def _modules() -> dict:
    """Module name to source file, for every module of the package."""
    out = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join((package, *parts))] = path
    return out


def _imports(name: str, path, modules: dict) -> set:
    """Every accelgen module that ``name`` imports, at its top or inside a function."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[:len(anchor) - node.level + is_package]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` imports the module
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        found |= {target for target in targets if target in modules and target != name}
    return found


def _graph() -> dict:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_no_import_cycles():
    graph = _graph()
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycle = stack[stack.index(target):] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_hardware_and_golden_models_do_not_import_each_other():
    graph = _graph()
    for name, targets in graph.items():
        for target in targets:
            assert not (name.startswith("accelgen.hw") and target.startswith("accelgen.golden")), \
                f"{name} imports {target}: put the shared table in accelgen.formats"
            assert not (name.startswith("accelgen.golden") and target.startswith("accelgen.hw")), \
                f"{name} imports {target}: golden models stay free of Amaranth"


def test_loading_a_config_imports_neither_amaranth_nor_cocotb():
    code = ("import sys, accelgen\n"
            "for preset in ('default.yaml', 'kv_cache.yaml', 'bitserial.yaml'):\n"
            "    accelgen.load_config(f'configs/{preset}')\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'amaranth', 'cocotb'}))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"
