"""Loading plugins inside runtime.init: each one in its own try, activated, registered where its
kind of contribution goes (backends.registry, patches.PATCHES, plugins.WORKFLOWS), recorded with its
reason, deactivated when the context closes. The contract itself is runtime/plugins.py."""

from __future__ import annotations

import time
from typing import Any

from ..errors import Issues, PluginError
from .context import RuntimeContext
from .plugins import FAILED, WORKFLOWS, PluginSpec


def load_group(context: RuntimeContext, group: str, allow: set[str] | None) -> None:
    from .plugin_discovery import discover_plugins

    taken = {r["name"] for r in context.plugins if r.get("status") == "loaded"}
    for rec in discover_plugins(group, allow=allow, interpreter=context.config.run.interpreter):
        spec = rec.pop("spec", None)
        if spec is not None and rec["status"] == "ok":
            if spec.name in taken:
                rec.update(status="failed", reason=f"a plugin named {spec.name!r} is already loaded")
            else:
                _activate(context, spec, rec)
        if rec["status"] == "loaded":
            taken.add(rec["name"])
        record(context, rec)


def _activate(context: RuntimeContext, spec: PluginSpec, record: dict[str, Any]) -> None:
    conflict = _conflict(spec)
    if conflict:
        record.update(status="failed", reason=conflict)
        return
    started = time.perf_counter()
    try:
        ok = True if spec.activate is None else spec.activate(context)
    except Exception as exc:  # one plugin never takes the others down
        record.update(status="failed", reason=f"activate() raised {type(exc).__name__}: {exc}")
        ok = None
    record["activate_ms"] = round((time.perf_counter() - started) * 1000, 3)
    if ok is None:
        return
    if ok is not True:
        record.update(status="declined", reason=f"activate() returned {ok!r}")
        return
    _register(spec, (record.get("distribution") or {}).get("name") or "plugin")
    record.update(status="loaded", reason=None)
    context.on_close.append(lambda: _deactivate(context, spec))


def _conflict(spec: PluginSpec) -> str | None:
    from ..backends.registry import known_kinds
    from . import patches
    from .patches import PATCHES

    if spec.type == "backend" and spec.backend_kind in known_kinds():
        return f"backend kind {spec.backend_kind!r} is already registered"
    if spec.type == "patch" and (spec.name in PATCHES or spec.name in getattr(patches, "BUILTIN", {})):
        return f"patch {spec.name!r} is already registered"
    if spec.type == "workflow" and spec.name in WORKFLOWS:
        return f"workflow {spec.name!r} is already registered"
    return None


class PluginPatch:
    """A plugin's patch as registered in PATCHES: the plugin's object, plus ``source`` (its
    distribution) for the patch record."""

    def __init__(self, patch: Any, source: str):
        self._patch = patch
        self.source = source

    def __getattr__(self, name: str) -> Any:
        return getattr(self._patch, name)


def _register(spec: PluginSpec, source: str) -> None:
    from ..backends.registry import register_backend
    from .patches import PATCHES

    if spec.type == "backend":
        register_backend(spec.backend_kind, spec.backend)
    elif spec.type == "patch":
        PATCHES[spec.name] = PluginPatch(spec.patch, source)
    else:
        WORKFLOWS[spec.name] = spec.workflow


def _deactivate(context: RuntimeContext, spec: PluginSpec) -> None:
    from ..backends.registry import unregister_backend
    from .patches import PATCHES

    try:
        if spec.deactivate is not None:
            spec.deactivate(context)
    except Exception as exc:  # closing goes on
        context.note("plugins", f"{spec.name}: deactivate() raised {type(exc).__name__}: {exc}", "warning")
    finally:
        if spec.type == "backend":
            unregister_backend(spec.backend_kind)
        elif spec.type == "patch":
            PATCHES.pop(spec.name, None)
        else:
            WORKFLOWS.pop(spec.name, None)


def record(context: RuntimeContext, rec: dict[str, Any]) -> None:
    """Add one plugin's record to the context (details, loaded map, log)."""
    context.plugins.append(rec)
    context.plugins_loaded[rec["name"]] = rec["status"] == "loaded"
    level = "warning" if rec["status"] in FAILED else "info"
    reason = f" ({rec['reason']})" if rec.get("reason") else ""
    context.note("plugins", f"{rec['name']} [{rec.get('group')}]: {rec['status']}{reason}", level)


def check_strict(context: RuntimeContext) -> None:
    bad = [r for r in context.plugins if r["status"] in FAILED]
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
