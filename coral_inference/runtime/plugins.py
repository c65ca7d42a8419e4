"""Plugins from the coral_inference.backends / .patches / .workflows entry points.

This is the stub the spine needs: it records that no plugin was loaded. The plugin packaging
issue replaces it with discovery, version checks and activation.
"""

from __future__ import annotations

from .context import RuntimeContext

GROUPS = ("coral_inference.backends", "coral_inference.patches", "coral_inference.workflows")


def load_plugins(context: RuntimeContext) -> None:
    mode = context.config.plugins.mode
    context.note("plugins", f"plugins.mode={getattr(mode, 'value', mode)}: none loaded")
