"""Plugins: the contract a plugin author codes against, and the init step that loads them.

A plugin is a ``PluginSpec`` published through an entry point in one of the groups below. The
entry point may resolve to a PluginSpec, a list of them, or a zero-argument callable returning
either. Each is loaded inside its own try: a broken or incompatible plugin is recorded with its
reason (``context.plugins``) and the others still load; with ``plugins.strict=true`` any failure
fails the run (PluginError, exit 4). What a plugin provides:

- ``backend`` (type "backend"): a class or factory ``(name, spec, context)`` of the backend
  protocol (backends/base.py), registered as backend kind ``kind`` (default: the plugin's name);
- ``patch`` (type "patch"): an object with ``description``, ``enable(context) -> bool`` and
  ``disable(context)``, registered in runtime/patches.PATCHES under the plugin's name and switched
  by ``patches.<name>`` like a built-in patch;
- ``workflow`` (type "workflow"): any object (a pipeline block), registered in WORKFLOWS.

``activate(context)`` runs first; it reads its own settings with ``settings_for(context, name)``
(``plugins.config.<name>``). Returning False means "not here" (recorded as declined).
Discovery (entry-point scanning) happens only when a function here is called, never at import.
PLUGIN_PUBLISHING.md is the guide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .context import RuntimeContext

GROUPS = {
    "coral_inference.backends": "backend",
    "coral_inference.patches": "patch",
    "coral_inference.workflows": "workflow",
}
TYPES = tuple(GROUPS.values())
# Entry points naming a package of Hydra config group options (e.g. its backends/<name>.yaml).
SEARCHPATH_GROUP = "coral_inference.searchpath"
FAILED = ("failed", "incompatible", "declined", "missing")

# name -> workflow object of a loaded workflow plugin.
WORKFLOWS: dict[str, Any] = {}


@dataclass
class PluginSpec:
    """What a plugin declares. Only ``name`` and ``type`` are required."""

    name: str
    type: str  # "backend" | "patch" | "workflow"
    activate: Callable[[RuntimeContext], bool] | None = None  # None: nothing to do, always True
    deactivate: Callable[[RuntimeContext], None] | None = None  # called when the context closes
    description: str = ""
    min_core_version: str | None = None  # coral_inference, PEP 440
    # The TFLite interpreter package in use (run.interpreter): a version for any of them, or
    # {"ai_edge_litert": "1.2", "tflite_runtime": "2.14"} per module.
    min_inference_version: str | dict[str, str] | None = None
    requires: dict[str, str] = field(default_factory=dict)  # distribution -> PEP 440 specifier
    # dotted key -> value; fills what no config file, env or command line sets.
    default_config_overrides: dict[str, Any] = field(default_factory=dict)
    backend: Callable[..., Any] | None = None  # type "backend": class/factory (name, spec, context)
    kind: str | None = None  # type "backend": backend kind (default: name)
    patch: Any = None  # type "patch": object with description, enable(context), disable(context)
    workflow: Any = None  # type "workflow": the block

    @property
    def backend_kind(self) -> str:
        return self.kind or self.name

    def metadata(self) -> dict[str, Any]:
        out = {"name": self.name, "type": self.type, "description": self.description,
               "min_core_version": self.min_core_version, "min_inference_version": self.min_inference_version,
               "requires": dict(self.requires), "default_config_overrides": dict(self.default_config_overrides)}
        if self.type == "backend":
            out["kind"] = self.backend_kind
        return out


def settings_for(context: RuntimeContext, name: str) -> dict[str, Any]:
    """``plugins.config.<name>`` as a plain dict ({} when not set)."""
    from .config import thaw

    return thaw(context.config.plugins.config.get(name) or {})


def selected(config: Any) -> tuple[str, set[str] | None]:
    """(mode, allowlisted entry-point names or None for all) from the plugins section."""
    plugins = config.plugins if hasattr(config, "plugins") else config
    mode = getattr(plugins.mode, "value", plugins.mode)
    return mode, (set(plugins.allowlist) if mode == "allowlist" else None)


def backend_kind_hint(config: Any, kind: str) -> str:
    """Why a plugin's backend kind is not available here ('' when no installed plugin names it)."""
    from .plugin_discovery import discover_plugins, entry_points

    group = "coral_inference.backends"
    mode, allow = selected(config)
    if mode == "none":  # import nothing: entry-point names only
        eps = [ep for ep in entry_points(group) if ep.name == kind]
        return (f"; the installed plugin {kind!r} may provide it, but plugins.mode=none loads no plugin"
                if eps else "")
    for r in discover_plugins(group, allow=allow, interpreter=config.run.interpreter):
        spec = r.get("spec")
        if r["name"] == kind or (spec is not None and getattr(spec, "kind", None) == kind):
            dist = r.get("distribution") or {}
            return (f"; plugin {r['name']} ({dist.get('name')} {dist.get('version')}) provides it but is "
                    f"{r['status']} here: {r['reason']}")
    return ""


def loadable_backend_kinds(config: Any) -> set[str]:
    """Backend kinds that selected, compatible backend plugins will register (imports them, does
    not activate them); validation asks this before the init step has loaded any plugin."""
    from .plugin_discovery import discover_plugins

    mode, allow = selected(config)
    if mode == "none":
        return set()
    return {r["spec"].backend_kind for r in discover_plugins("coral_inference.backends", allow=allow,
                                                             interpreter=config.run.interpreter)
            if r["status"] == "ok"}


def load_plugins(context: RuntimeContext) -> None:
    """The init step: every group, honouring plugins.mode / allowlist / strict."""
    from .plugin_loading import check_strict, load_group, record

    mode, allow = selected(context.config)
    if mode == "none":
        context.note("plugins", "plugins.mode=none: no plugin loaded")
        return
    for group in GROUPS:
        load_group(context, group, allow)
    if allow is not None:
        seen = {(r.get("entry_point") or {}).get("name") for r in context.plugins}
        for name in sorted(allow - seen):
            record(context, {"name": name, "group": None, "status": "missing",
                              "reason": f"in plugins.allowlist but no entry point named {name!r} in "
                                        f"{', '.join(GROUPS)}"})
    check_strict(context)
