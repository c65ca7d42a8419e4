"""Run modes after init (run.mode): registry kind "mode", name -> runner taking the RuntimeContext
and returning a JSON-able dict stored in the summary under results.<mode> (built-ins in
plugins/builtins.py). `init` and `validate` need no runner."""

from __future__ import annotations

from typing import Any, Callable

from ..plugins.registry import new_registry


def get(mode: str, registry: Any = None) -> Callable[[Any], dict[str, Any]] | None:
    """The runner of ``mode`` in ``registry`` (a run's ``context.registry``; default: the built-ins)."""
    return (registry if registry is not None else new_registry()).get("mode", mode)
