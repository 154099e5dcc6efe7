"""The unit registry: every kind the flows, the tests and the benchmarks know.

Adding a kind is its own files plus one ``register`` call; a kind defined outside the
package (a user's, or the test suite's) registers the same way, from its module, and
the simulator process finds it again through that module (``kind_module``).
"""

from .kinds.bitserial import BitSerialKind
from .kinds.kv_buffer import KVBufferKind
from .kinds.systolic import SystolicKind
from .kinds.ternary import TernaryKind
from .unit import UnitKind

UNIT_KINDS: dict[str, UnitKind] = {}


def register(kind: UnitKind) -> UnitKind:
    """Make ``kind`` known under its config's ``kind`` name (importing its module again
    re-registers the same class, which is harmless)."""
    if not isinstance(kind, UnitKind):
        raise TypeError(f"{kind!r} is not a UnitKind")
    name = kind.name
    if not name.isidentifier():
        raise ValueError(f"{type(kind).__name__}: kind name {name!r} is not an identifier")
    known = UNIT_KINDS.get(name)
    if known is not None and type(known).__qualname__ != type(kind).__qualname__:
        raise ValueError(f"kind {name!r} is registered already, by {type(known).__name__}")
    UNIT_KINDS[name] = kind
    return kind


def kind_module(kind: UnitKind) -> str:
    """The module that defines (and so registers) ``kind``."""
    return type(kind).__module__


for _kind in (SystolicKind(), TernaryKind(), BitSerialKind(), KVBufferKind()):
    register(_kind)
