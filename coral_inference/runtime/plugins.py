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
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import Issues, PluginError
from ..interpreter import interpreter_in_use
from ..plugins.contract import ENTRY_POINT_GROUPS, NOT_LOADED
from ..plugins.discovery import discover, entry_point_names, selected
from .context import RuntimeContext


def interpreter_info(choice: str) -> Any:
    """The (module, version, problem) of run.interpreter=choice, computed only when asked."""
    return lambda: interpreter_in_use(choice)


def load_plugins(context: RuntimeContext) -> None:
    """The init step: every group, honouring plugins.mode / allowlist / strict."""
    mode, allow = selected(context.config)
    if mode == "none":
        context.note("plugins", "plugins.mode=none: no plugin loaded")
        return
    choice = context.config.run.interpreter
    for group in ENTRY_POINT_GROUPS:
        for rec in discover(group, allow=allow, interpreter=choice, interpreter_info=interpreter_info(choice)):
            spec = rec.pop("spec", None)
            if spec is not None and rec["status"] == "ok":
                _load(context, spec, rec)
            record(context, rec)
    if allow is not None:
        seen = {r["name"] for r in context.plugins} | entry_point_names()
        for name in sorted(allow - seen):
            record(context, {"name": name, "group": None, "status": "missing",
                             "reason": f"in plugins.allowlist but no entry point or plugin named {name!r} in "
                                       f"{', '.join(ENTRY_POINT_GROUPS)}"})
    check_strict(context)


def contributions(spec: Any) -> list[tuple[str, str, Any]]:
    """(registry kind, name, object) of everything a spec contributes."""
    out = []
    if spec.backend is not None:
        out.append(("backend", spec.backend_kind, spec.backend))
    if spec.patch is not None:
        out.append(("patch", spec.name, spec.patch))
    if spec.workflow is not None:
        out.append(("workflow", spec.name, spec.workflow))
    for kind, entries in (spec.contributes or {}).items():
        out += [(kind, name, obj) for name, obj in entries.items()]
    return out


def _load(context: RuntimeContext, spec: Any, rec: dict[str, Any]) -> None:
    registry = context.registry
    if spec.name in context.plugin_specs:
        rec.update(status="failed", reason=f"a plugin named {spec.name!r} is already loaded")
        return
    offered = contributions(spec)
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


def check_strict(context: RuntimeContext) -> None:
    bad = [r for r in context.plugins if r["status"] in NOT_LOADED]
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
