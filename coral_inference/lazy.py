"""Lazy "module:attribute" targets: the registries (backend kinds, patches, run modes) name their
built-ins this way so nothing is imported until it is used."""

from __future__ import annotations

import importlib
from typing import Any


def load(target: str) -> Any:
    """The object a "package.module:attribute" target names (imported now)."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
