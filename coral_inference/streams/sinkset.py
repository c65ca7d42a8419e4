"""Which sinks a stream builds. ``streams.<name>.sinks`` is an open map, sink name -> true / false / null,
over the registry's kind "sink": the built-ins (plugins/builtins.py) and every sink a loaded plugin
contributes (``contributes={"sink": {name: factory}}``), plus the switches below that are not sinks.
A name that is neither is an error naming the key, the value, its source and the names that exist.

Adding a built-in sink is one line in plugins/builtins.py ("sink" kind) and its factory; nothing here.
Sinks run in the order of that table, then plugins' sinks by name (``masks`` before ``results``: it
puts the mask's file name into the result).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

# Keys of streams.<name>.sinks that switch a stream feature rather than a registry sink.
SWITCHES = {"preview": "results and frames to StreamManager.subscribe() (the live view)"}


def known(registry: Any) -> dict[str, str]:
    """Sink name -> where it comes from ("builtin" or the plugin's distribution), in the order they run."""
    from ..plugins.builtins import BUILTINS

    order = list(BUILTINS["sink"])
    names = {name: registry.source("sink", name) or "builtin" for name in registry.names("sink")}
    return dict(sorted(names.items(), key=lambda item: (order.index(item[0]) if item[0] in order else len(order),
                                                          item[0])))


def sink_default(config: Any, sink: str, source: str = "builtin") -> bool:
    """A sink switch left null: a built-in follows services.<sink>.enabled when services has that section
    and is on otherwise (its factory may decline: masks only with run.mask_png); a plugin's sink is off
    until a stream switches it on."""
    if source != "builtin":
        return False
    service = getattr(config.services, sink, None)
    return bool(getattr(service, "enabled", True))


def resolve(config: Any, cfg: Any, key: str, registry: Optional[Any], add: Callable) -> dict[str, bool]:
    """Every sink the stream may build -> on/off (null resolved), in the order they run; each unknown
    name in ``cfg.sinks`` into ``add``. ``registry`` None (validation, before plugins load): the
    built-ins plus the sinks of the plugins that would load."""
    from ..plugins.registry import new_registry

    configured: Mapping[str, Any] = dict(cfg.sinks or {})
    names = known(registry if registry is not None else new_registry())
    unknown = [name for name in configured if name not in names and name not in SWITCHES]
    if unknown and registry is None:
        from ..config.validate import plugin_contributions

        names.update({name: source for name, _obj, source in plugin_contributions(config, "sink")
                      if name not in names})
        unknown = [name for name in unknown if name not in names]
    for name in unknown:
        add(f"{key}.sinks.{name}", f"no sink named {name!r}{_close(name, names)}", configured[name],
            f"a sink that exists: {_listed(names)}; or {', '.join(SWITCHES)}")
    return {name: sink_default(config, name, source) if configured.get(name) is None else bool(configured[name])
            for name, source in names.items()}


def _close(name: str, names: Mapping[str, str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, [*names, *SWITCHES], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _listed(names: Mapping[str, str]) -> str:
    return ", ".join(name if source == "builtin" else f"{name} (plugin {source})" for name, source in names.items())
