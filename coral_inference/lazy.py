"""Lazy "module:attribute" targets: the registry (plugins/registry.py) names its built-ins this way
so nothing is imported until it is used."""

from __future__ import annotations

import importlib
from typing import Any


def load(target: str) -> Any:
    """The object a "package.module:attribute" target names (imported now); the attribute may be
    dotted ("module:Class.method")."""
    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj
