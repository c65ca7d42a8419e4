"""The plugin layer, at the bottom of the package: the contract (PluginSpec, one Protocol per
extension kind), discovery and requirement checks, declaration checks, and the one Registry. It
imports nothing of coral_inference but the ground modules (errors, lazy).

What a plugin author imports: ``from coral_inference.plugins import PluginSpec, settings_for``.
"""

from .contract import PluginSpec
from .settings import settings_for, settings_of

__all__ = ["PluginSpec", "settings_for", "settings_of"]
