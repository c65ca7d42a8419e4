"""Patches: named runtime adjustments, switched on or off by the `patches` bool map.

Applied in a fixed order (ORDER); each result is recorded with its reason and its source (builtin,
or the distribution of the plugin that registered it). Every patch object comes from the run's
registry (kind "patch": the built-ins as lazy "module:attr" strings, plugin patches beside them);
each patch's whole step — lookup, validation of the object, ``enable`` — runs inside its own try.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

RuntimeContext = Any  # runtime/context.py (it imports this module: the type is named, not imported)
@dataclass
class PatchState:
    name: str
    enabled: bool
    status: str  # enabled | disabled by config | skipped: <why> | failed: <why>
    description: str = ""
    source: str | None = "builtin"  # builtin | the registering plugin's distribution | None: nothing implements it
    detail: str | None = None  # what enable() did
    supports: dict[str, str] = field(default_factory=dict)  # component -> version specifier

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# The documented order patches are applied in; unknown names follow in alphabetical order.
ORDER = ("opencv_threads", "webrtc")

DESCRIPTIONS = {
    "opencv_threads": "cap OpenCV's threads so inference keeps the cores",
    "webrtc": "WebRTC preview settings (services.webrtc)",
}


def unknown(name: str, registry: Any) -> str:
    """Why ``name`` names no patch, with the nearest known name."""
    import difflib

    known = sorted(set(DESCRIPTIONS) | set(registry.names("patch")))
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (f"no patch named {name!r}{hint} (expected a built-in patch ({', '.join(ORDER)}) or one a loaded "
            "coral_inference.patches plugin registers)")


def ordered(names: list[str]) -> list[str]:
    known = [n for n in ORDER if n in names]
    return known + sorted(n for n in names if n not in ORDER)


def apply(context: RuntimeContext) -> None:
    requested = dict(context.config.patches)
    for name in ordered(list(requested)):
        state, patch = _apply_one(context, name, bool(requested[name]))
        if state.enabled and patch is not None:
            context.patch_objects[name] = patch
        context.patches.append(state)
        context.patches_enabled[name] = state.enabled
        context.note("patches", f"{name}: {state.status}", "warning" if state.status.startswith("failed") else "info")


def _apply_one(context: RuntimeContext, name: str, wanted: bool) -> tuple[PatchState, Any]:
    registry = context.registry
    source = registry.source("patch", name) or ("builtin" if name in DESCRIPTIONS else None)
    description = DESCRIPTIONS.get(name, "")
    if not wanted:  # not even imported
        return PatchState(name, False, "disabled by config", description, source=source), None
    if not registry.has("patch", name):
        if name in DESCRIPTIONS:  # a documented name without an implementation yet
            return PatchState(name, True, "enabled", description, source=source,
                              detail="no implementation: a name only"), None
        # a typo, or a patch plugin that is not installed or not loaded
        return PatchState(name, False, f"failed: {unknown(name, registry)}", description, source=source), None
    patch, supports = None, {}
    try:
        patch = registry.get("patch", name)
        description = getattr(patch, "description", None) or description
        declared = getattr(patch, "supports", None) or {}
        if not isinstance(declared, Mapping):
            raise TypeError(f"supports is {type(declared).__name__}, not a mapping component -> specifier")
        supports = {str(k): str(v) for k, v in declared.items()}
        ok = bool(patch.enable(context))
        reason = getattr(patch, "last_reason", None)
        state = PatchState(name, ok, "enabled" if ok else f"skipped: {reason or 'enable() returned False'}",
                           description, source=source, detail=getattr(patch, "detail", None), supports=supports)
    except Exception as exc:  # one patch never takes the others down
        state = PatchState(name, False, f"failed: {type(exc).__name__}: {exc}", description, source=source,
                           supports=supports)
    return state, patch


def disable_all(context: RuntimeContext) -> None:
    """Undo the enabled patches, last applied first; a failing disable() is noted, not raised."""
    for name in reversed(list(context.patch_objects)):
        patch = context.patch_objects.pop(name)
        try:
            patch.disable(context)  # a patch without disable() fails here, noted
        except Exception as exc:
            context.note("patches", f"{name}: disable failed: {type(exc).__name__}: {exc}", level="warning")
