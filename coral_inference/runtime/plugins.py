"""The init step that loads plugins: each in its own try, activated, its contributions registered in
this run's registry view (``context.registry``: never a module global), recorded with its reason.

The contract a plugin codes against is coral_inference/plugins/ (contract.py, PLUGIN_PUBLISHING.md);
discovery and requirement checks are there too. What a loaded plugin contributes:

- ``backend`` -> kind "backend" under ``spec.backend_kind``; ``patch`` -> kind "patch" under its name
  (switched by ``patches.<name>``); ``workflow`` -> kind "workflow" under its name (a BlockFactory
  the stream manager calls); ``contributes`` -> each ``{kind: {name: object}}`` (decoders, sinks, …).

``activate(context)`` runs first; returning False means "not here" (recorded as declined). A loaded
plugin's ``deactivate(context)`` runs when the context closes. With ``plugins.strict=true`` any
plugin that does not load fails the run (PluginError, exit 4).

Public and kept (the design note's names, which published plugins and scripts import):
``PluginSpec`` (the same object as ``coral_inference.plugins.PluginSpec``), ``discover_plugins(group)``,
``load_backend_plugins(context)``, ``load_patch_plugins(context)``, ``load_workflow_plugins(context)``.
The init step, ``load_plugins``, is those three loaders in order.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import Issues, PluginError
from ..interpreter import interpreter_in_use
from ..plugins.contract import ENTRY_POINT_GROUPS, NOT_LOADED, PluginSpec, contributions
from ..plugins.discovery import discover, entry_point_names, selected
from .context import RuntimeContext

__all__ = ["PluginSpec", "discover_plugins", "load_backend_plugins", "load_patch_plugins", "load_workflow_plugins",
           "load_plugins"]


def interpreter_info(choice: str) -> Any:
    """The (module, version, problem) of run.interpreter=choice, computed only when asked."""
    return lambda: interpreter_in_use(choice)


def discover_plugins(group: str, *, interpreter: str = "auto", allow: set[str] | None = None) -> list[dict[str, Any]]:
    """The design note's discovery: the plugins of entry-point ``group``, each imported (never
    activated) and judged against its declared version requirements here, with ``interpreter`` (a
    run.interpreter choice) for ``min_inference_version``. One record per plugin (plugins/discovery.py):
    status ``ok``, or ``incompatible`` / ``failed`` / ``skipped`` with its ``reason``; ``spec`` is its
    PluginSpec. ``allow``: only these names (plugins.allowlist)."""
    if group not in ENTRY_POINT_GROUPS:
        raise ValueError(f"unknown entry-point group {group!r}; expected one of {', '.join(ENTRY_POINT_GROUPS)}")
    return discover(group, allow=allow, interpreter=interpreter, interpreter_info=interpreter_info(interpreter))


def load_backend_plugins(context: RuntimeContext, *, finish: bool = True) -> None:
    """Load the coral_inference.backends plugins into the run (see load_group)."""
    load_group(context, "coral_inference.backends", finish=finish)


def load_patch_plugins(context: RuntimeContext, *, finish: bool = True) -> None:
    """Load the coral_inference.patches plugins into the run (see load_group)."""
    load_group(context, "coral_inference.patches", finish=finish)


def load_workflow_plugins(context: RuntimeContext, *, finish: bool = True) -> None:
    """Load the coral_inference.workflows plugins into the run (see load_group)."""
    load_group(context, "coral_inference.workflows", finish=finish)


# The init step's order (ENTRY_POINT_GROUPS'): backend kinds, then patches, then workflow blocks.
LOADERS = (load_backend_plugins, load_patch_plugins, load_workflow_plugins)


def load_plugins(context: RuntimeContext) -> None:
    """The init step: the three groups in order, then the allowlist's names no plugin has, then
    plugins.strict over every record."""
    if selected(context.config)[0] == "none":
        context.note("plugins", "plugins.mode=none: no plugin loaded")
        return
    for load in LOADERS:
        load(context, finish=False)
    _, allow = selected(context.config)
    if allow is not None:
        seen = {r["name"] for r in context.plugins} | entry_point_names()
        for name in sorted(allow - seen):
            record(context, {"name": name, "group": None, "status": "missing",
                             "reason": f"in plugins.allowlist but no entry point or plugin named {name!r} in "
                                       f"{', '.join(ENTRY_POINT_GROUPS)}"})
    check_strict(context)


def load_group(context: RuntimeContext, group: str, *, finish: bool = True) -> None:
    """Load one entry-point group, honouring plugins.mode / allowlist: each compatible plugin
    activated and its contributions registered in ``context.registry``; every plugin's record in
    ``context.plugins`` and ``context.plugins_loaded[name]``. ``finish``: then apply plugins.strict
    to this group's records (the init step applies it once, after every group)."""
    mode, allow = selected(context.config)
    if mode == "none":
        context.note("plugins", f"plugins.mode=none: no plugin of {group} loaded")
        return
    choice = context.config.run.interpreter
    records = []
    for rec in discover(group, allow=allow, interpreter=choice, interpreter_info=interpreter_info(choice)):
        spec = rec.pop("spec", None)
        if spec is not None and rec["status"] == "ok":
            _load(context, spec, rec)
        record(context, rec)
        records.append(rec)
    if finish:
        check_strict(context, records)


def _load(context: RuntimeContext, spec: Any, rec: dict[str, Any]) -> None:
    registry = context.registry
    if spec.name in context.plugin_specs:
        rec.update(status="failed", reason=f"a plugin named {spec.name!r} is already loaded")
        return
    offered = contributions(spec)  # each already checked against its kind (contract.KIND_CHECKS)
    taken = [f"{kind} {name!r} is already registered (by {registry.source(kind, name)})"
             for kind, name, _obj in offered if registry.has(kind, name)]
    if taken:
        rec.update(status="failed", reason="; ".join(taken))
        return
    started, failure = time.perf_counter(), None
    try:
        ok = True if spec.activate is None else spec.activate(context)
    except Exception as exc:  # one plugin never takes the others down
        ok, failure = None, f"activate() raised {type(exc).__name__}: {exc}"
    rec["activate_ms"] = round((time.perf_counter() - started) * 1000, 3)
    if failure:
        rec.update(status="failed", reason=failure)
        return
    if ok is False:
        rec.update(status="declined", reason="activate() returned False")
        return
    source = (rec.get("distribution") or {}).get("name") or f"plugin {spec.name}"
    registered: dict[str, list[str]] = {}
    for kind, name, obj in offered:
        registry.add(kind, name, obj, source=source)
        registered.setdefault(kind, []).append(name)
    rec.update(status="loaded", reason=None)
    if registered:
        rec["registered"] = registered
    context.plugin_specs[spec.name] = spec
    context.on_close.append(lambda: _deactivate(context, spec))


def _deactivate(context: RuntimeContext, spec: Any) -> None:
    if spec.deactivate is None:
        return
    try:
        spec.deactivate(context)
    except Exception as exc:  # closing goes on
        context.note("plugins", f"{spec.name}: deactivate() raised {type(exc).__name__}: {exc}", "warning")


def record(context: RuntimeContext, rec: dict[str, Any]) -> None:
    """Add one plugin's record to the context (details, loaded map, log)."""
    context.plugins.append(rec)
    context.plugins_loaded[rec["name"]] = rec["status"] == "loaded"
    level = "warning" if rec["status"] in NOT_LOADED else "info"
    reason = f" ({rec['reason']})" if rec.get("reason") else ""
    context.note("plugins", f"{rec['name']} [{rec.get('group')}]: {rec['status']}{reason}", level)


def check_strict(context: RuntimeContext, records: list[dict[str, Any]] | None = None) -> None:
    """plugins.strict=true: PluginError (exit 4) when any of ``records`` (default: the run's) did not load."""
    bad = [r for r in (context.plugins if records is None else records) if r["status"] in NOT_LOADED]
    if not bad or not context.config.plugins.strict:
        return
    issues = Issues()
    for r in bad:
        dist = r.get("distribution") or {}
        where = f"{dist.get('name')} {dist.get('version')}" if dist.get("name") else None
        issues.add(f"plugin {r['name']}", f"{r['status']}: {r['reason']}", source=where)
    n = len(bad)
    error = PluginError(f"plugins.strict=true and {n} plugin{'s' if n > 1 else ''} did not load",
                        problems=issues.items)
    error.context = context  # type: ignore[attr-defined]
    raise error
