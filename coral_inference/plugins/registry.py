"""One registry of every named, pluggable thing: kind -> name -> object or lazy "module:attr".

Kinds (what an entry is, and who calls it, is documented once in plugins/contract.py):

    backend   factory (name, spec, context, model) -> a Backend    init + stream manager, per (backend, model)
    patch     Patch object                                         runtime init, per patches.<name>
    mode      runner (context) -> dict                             coral-run, per run.mode
    workflow  block factory (**settings) -> block                  stream manager, once per stream
    decoder   Decoder                                              per model output, per frame
    sink      sink factory (stream, context) -> Sink               stream manager, once per stream
    check     check(config, issues) -> None                        config validation, every run

An object added is checked against its kind first (contract.KIND_CHECKS: a decoder without ``decode``
is refused, never registered). Built-ins are "module:attr" strings (plugins/builtins.py), so building a registry imports no
backend, numpy or OpenCV. A run works on its own view (``registry.child()``): a plugin's
contribution lands in that view and never in a module global that outlives the run.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..lazy import load as _load
from .builtins import BUILTINS
from .contract import KIND_CHECKS, contribution_problems

KINDS = tuple(KIND_CHECKS)  # backend, patch, mode, workflow, decoder, sink, check


class RegistryError(KeyError):
    """A name is taken, a kind is unknown, or an object does not fit its kind (contract.KIND_CHECKS)."""

    def __str__(self) -> str:  # KeyError quotes its argument; this is a sentence
        return str(self.args[0]) if self.args else ""


class Registry:
    """kind -> name -> entry. Entries are objects or "module:attr" strings (imported on first
    ``get`` and cached). A child view sees its parent's entries; additions and removals in the
    child stay in the child."""

    def __init__(self, entries: dict[str, dict[str, Any]] | None = None, parent: "Registry | None" = None,
                 source: str = "builtin"):
        self._parent = parent
        self._entries: dict[str, dict[str, tuple[Any, str]]] = {kind: {} for kind in KINDS}
        self._hidden: dict[str, set[str]] = {kind: set() for kind in KINDS}
        for kind, names in (entries or {}).items():
            for name, target in names.items():
                self.add(kind, name, target, source=source)

    # Writing -----------------------------------------------------------------------------------
    def add(self, kind: str, name: str, target: Any, *, source: str = "builtin", replace: bool = False) -> None:
        """Register ``target`` as ``name`` of ``kind``; RegistryError when the name is taken
        (unless ``replace``) or an object does not fit the kind (a "module:attr" string is checked
        by whoever imports it). ``source``: "builtin" or the contributing distribution / plugin."""
        self._check_kind(kind)
        if not isinstance(name, str) or not name:
            raise RegistryError(f"a {kind} needs a non-empty string name, not {name!r}")
        if not replace and self.has(kind, name):
            raise RegistryError(f"{kind} {name!r} is already registered (by {self.source(kind, name)})")
        problems = [] if isinstance(target, str) else contribution_problems(kind, name, target)
        if problems:
            raise RegistryError("; ".join(problems))
        self._entries[kind][name] = (target, source)
        self._hidden[kind].discard(name)

    def remove(self, kind: str, name: str) -> None:
        """Take ``name`` out of this view (the parent keeps it)."""
        self._check_kind(kind)
        self._entries[kind].pop(name, None)
        if self._parent is not None and self._parent.has(kind, name):
            self._hidden[kind].add(name)

    # Reading -----------------------------------------------------------------------------------
    def has(self, kind: str, name: str) -> bool:
        self._check_kind(kind)
        if name in self._hidden[kind]:
            return False
        if name in self._entries[kind]:
            return True
        return self._parent is not None and self._parent.has(kind, name)

    def _entry(self, kind: str, name: str) -> tuple[Any, str] | None:
        if name in self._hidden[kind]:
            return None
        if name in self._entries[kind]:
            return self._entries[kind][name]
        return self._parent._entry(kind, name) if self._parent is not None else None

    def get(self, kind: str, name: str, default: Any = None) -> Any:
        """The object registered as ``name`` (a lazy target is imported now), or ``default``."""
        self._check_kind(kind)
        entry = self._entry(kind, name)
        if entry is None:
            return default
        target, source = entry
        if isinstance(target, str):
            target = _load(target)
            owner = self
            while name not in owner._entries[kind]:  # cache where it is defined
                owner = owner._parent  # type: ignore[assignment]
            owner._entries[kind][name] = (target, source)
        return target

    def target(self, kind: str, name: str) -> Any:
        """The entry as registered (a "module:attr" string stays a string: nothing is imported)."""
        self._check_kind(kind)
        entry = self._entry(kind, name)
        return None if entry is None else entry[0]

    def source(self, kind: str, name: str) -> str | None:
        self._check_kind(kind)
        entry = self._entry(kind, name)
        return None if entry is None else entry[1]

    def names(self, kind: str) -> list[str]:
        """Every name of ``kind`` in this view, sorted."""
        self._check_kind(kind)
        names = set(self._parent.names(kind)) if self._parent is not None else set()
        return sorted((names | set(self._entries[kind])) - self._hidden[kind])

    def items(self, kind: str) -> Iterator[tuple[str, Any]]:
        """(name, object) of ``kind``, every lazy target imported, in name order."""
        for name in self.names(kind):
            yield name, self.get(kind, name)

    def child(self) -> "Registry":
        """A view for one run: reads fall through to this registry, writes stay in the view."""
        return Registry(parent=self)

    @staticmethod
    def _check_kind(kind: str) -> None:
        if kind not in KINDS:
            raise RegistryError(f"unknown extension kind {kind!r}; expected one of {', '.join(KINDS)}")

    def __repr__(self) -> str:
        return f"Registry({', '.join(f'{k}={len(self.names(k))}' for k in KINDS)})"


_BASE: list[Registry] = []


def builtin_registry() -> Registry:
    """The registry of the built-ins (shared, read-only by convention: take a ``child()`` to add)."""
    if not _BASE:
        _BASE.append(Registry(BUILTINS))
    return _BASE[0]


def new_registry() -> Registry:
    """A fresh view over the built-ins: what a run, a validation or a test starts from."""
    return builtin_registry().child()
