"""Backend kinds, by name: a plain dict of factories, imported only when used.

Plugins add kinds with ``register_backend(kind, factory)`` (see runtime/plugins.py); tests swap
entries. A factory takes (name, spec, context) and returns an object of the backend protocol
(backends/base.py).
"""

from __future__ import annotations

from typing import Any, Callable

from ..lazy import load

_BUILTIN = {
    "cpu": "coral_inference.backends.cpu:CpuBackend",
    "edgetpu": "coral_inference.backends.edgetpu:EdgeTpuBackend",
    "auto": "coral_inference.backends.edgetpu:AutoBackend",
}
_REGISTERED: dict[str, Callable[..., Any]] = {}


def register_backend(kind: str, factory: Callable[..., Any]) -> None:
    _REGISTERED[kind] = factory


def unregister_backend(kind: str) -> None:
    _REGISTERED.pop(kind, None)


def known_kinds() -> list[str]:
    return sorted(set(_BUILTIN) | set(_REGISTERED))


def get_factory(kind: str) -> Callable[..., Any] | None:
    if kind in _REGISTERED:
        return _REGISTERED[kind]
    target = _BUILTIN.get(kind)
    return load(target) if target else None
