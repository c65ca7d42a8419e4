"""What a built-in patch shares: a description, the versions it supports, enable/disable.

The patch protocol (what runtime/patches.py calls; third-party patches implement the same):

    description: str
    supports: dict[str, str]          # component -> version specifier, e.g. {"opencv": ">=4.5,<6"}
    enable(context) -> bool           # False: skipped, with `last_reason` saying why
    disable(context) -> None          # undo; called in reverse order when the context closes
    last_reason / detail: str | None  # why it was skipped / what it did (recorded in the summary)

Versions are read from installed distribution metadata, so gating never imports OpenCV.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from ..dists import satisfies, version

# component -> (import name, distributions that provide it)
COMPONENTS = {
    "opencv": ("cv2", ("opencv-python-headless", "opencv-python", "opencv-contrib-python-headless",
                       "opencv-contrib-python")),
}


def installed_version(component: str) -> str | None:
    module, dists = COMPONENTS[component]
    for dist in dists:
        found = version(dist)
        if found is not None:
            return found
    return "unknown" if find_spec(module) is not None else None


def unsupported(supports: dict[str, str], versions: dict[str, str | None] | None = None) -> str | None:
    """Why these requirements are not met (None when they are). ``versions`` overrides lookup."""
    for component, spec in supports.items():
        found = versions[component] if versions and component in versions else installed_version(component)
        if found is None:
            return f"{component} not installed (pip install 'coral_inference[{component}]')"
        if found != "unknown" and not satisfies(found, spec):
            return f"{component} {found} outside {spec}"
    return None


def needs_opencv(context: Any) -> bool:
    """OpenCV is loaded only by run modes that read frames (pipeline, serve)."""
    mode = context.config.run.mode
    return getattr(mode, "value", mode) in ("pipeline", "serve")


class Patch:
    name = ""
    description = ""
    supports: dict[str, str] = {}
    source = "builtin"

    def __init__(self) -> None:
        self.last_reason: str | None = None
        self.detail: str | None = None
        self.versions: dict[str, str | None] | None = None  # tests pin versions here

    def enable(self, context: Any) -> bool:
        self.last_reason = self.detail = None
        reason = unsupported(self.supports, self.versions)
        if reason:
            self.last_reason = reason
            return False
        return self.start(context)

    def start(self, context: Any) -> bool:
        return True

    def disable(self, context: Any) -> None:
        context.services.pop(self.name, None)

    def skip(self, reason: str) -> bool:
        self.last_reason = reason
        return False
