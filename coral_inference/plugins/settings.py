"""A plugin's own settings, ``plugins.config.<name>``, as its code reads them at run time.

``settings_for(context, name)`` -> a plain dict: the configured values over the defaults of the
plugin's ``settings`` dataclass (when it declares one). ``settings_of(context, name)`` -> an instance
of that dataclass. Config validation has already checked the values against it (config/validate.py),
so a run never starts with ``score_scale=abc``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _defaults(settings: Any) -> dict[str, Any]:
    out = {}
    for f in dataclasses.fields(settings):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def settings_for(context: Any, name: str) -> dict[str, Any]:
    """``plugins.config.<name>`` as a plain dict, over the defaults of the plugin's settings dataclass."""
    configured = _plain(context.config.plugins.config.get(name) or {})
    spec = (getattr(context, "plugin_specs", None) or {}).get(name)
    settings = getattr(spec, "settings", None)
    if settings is None or not dataclasses.is_dataclass(settings):
        return configured
    return {**_defaults(settings), **configured}


def settings_of(context: Any, name: str) -> Any:
    """The plugin's settings dataclass built from ``plugins.config.<name>``; LookupError when the
    plugin is not loaded in this run or declares no settings."""
    spec = (getattr(context, "plugin_specs", None) or {}).get(name)
    settings = getattr(spec, "settings", None)
    if settings is None:
        raise LookupError(f"plugin {name!r} is not loaded in this run or declares no settings dataclass")
    return settings(**_plain(context.config.plugins.config.get(name) or {}))
