"""Patches: named runtime adjustments, switched on or off by the `patches` bool map.

Applied in a fixed order (ORDER); each result is recorded with its reason. The built-in patches
with real work and third-party patches (coral_inference.patches entry points) plug in through
`PATCHES`: name -> object with `description`, `enable(context) -> bool`, `disable(context)`.
"""

from __future__ import annotations

from typing import Any

from ..lazy import load
from .context import PatchState, RuntimeContext

# The documented order patches are applied in; unknown names follow in alphabetical order.
ORDER = ("opencv_threads", "camera", "stream_manager", "buffer_sink", "video_sink", "metric_sink", "webrtc")

DESCRIPTIONS = {
    "opencv_threads": "cap OpenCV's threads so inference keeps the cores",
    "camera": "camera/stream capture with a small buffer and reconnect",
    "stream_manager": "manage input streams",
    "buffer_sink": "keep recent results in memory",
    "video_sink": "write annotated frames (services.recording)",
    "metric_sink": "send metrics (services.metrics)",
    "webrtc": "WebRTC preview settings (services.webrtc)",
}

# name -> patch object: patch plugins register here (and tests); an entry wins over a built-in.
PATCHES: dict[str, Any] = {}

# Built-in patches, imported only when their name is in the `patches` map.
BUILTIN = {name: f"coral_inference.patches.{name}:PATCH" for name in
           ("opencv_threads", "camera", "buffer_sink", "video_sink", "metric_sink", "webrtc")}


def lookup(name: str) -> Any:
    """The patch object for a name: registered (PATCHES) first, then the built-in module."""
    if name in PATCHES:
        return PATCHES[name]
    target = BUILTIN.get(name)
    return load(target) if target else None


def unknown(name: str) -> str:
    """Why ``name`` names no patch, with the nearest known name."""
    import difflib

    known = sorted(set(DESCRIPTIONS) | set(PATCHES))
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
        wanted = bool(requested[name])
        patch = lookup(name) if wanted else None
        description = getattr(patch, "description", None) or DESCRIPTIONS.get(name, "")
        extra = {"source": getattr(patch, "source", "builtin"), "supports": dict(getattr(patch, "supports", {}))}
        if not wanted:
            state = PatchState(name, False, "disabled by config", description)
        elif patch is None and name in DESCRIPTIONS:  # a documented name without an implementation yet
            state = PatchState(name, True, "enabled", description, detail="no implementation: a name only")
        elif patch is None:  # a typo, or a patch plugin that is not installed or not loaded
            state = PatchState(name, False, f"failed: {unknown(name)}", description)
        else:
            try:
                ok = bool(patch.enable(context))
                reason = getattr(patch, "last_reason", None)
                state = PatchState(name, ok, "enabled" if ok else f"skipped: {reason or 'enable() returned False'}",
                                   description, detail=getattr(patch, "detail", None), **extra)
            except Exception as exc:  # one patch never takes the others down
                state = PatchState(name, False, f"failed: {type(exc).__name__}: {exc}", description, **extra)
            if state.enabled:
                context.patch_objects[name] = patch
        context.patches.append(state)
        context.patches_enabled[name] = state.enabled
        context.note("patches", f"{name}: {state.status}", "warning" if state.status.startswith("failed") else "info")


def disable_all(context: RuntimeContext) -> None:
    """Undo the enabled patches, last applied first; a failing disable() is noted, not raised."""
    for name in reversed(list(context.patch_objects)):
        patch = context.patch_objects.pop(name)
        try:
            patch.disable(context)
        except Exception as exc:
            context.note("patches", f"{name}: disable failed: {type(exc).__name__}: {exc}", level="warning")
