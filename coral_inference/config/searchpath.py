"""Config group options shipped by plugins: a Hydra SearchPathPlugin.

A plugin distribution names a package of config group options in the entry-point group
``coral_inference.searchpath`` (``my_plugin = "my_plugin.conf"``); its ``backends/<name>.yaml``
then becomes selectable as ``backends=<name>`` in coral-run and in compose() alike. The plugin
class is registered with Hydra by ``config.schema.register()`` (which every coral_inference entry
calls), so no ``hydra_plugins`` package is needed and other Hydra apps are untouched. Plugin paths
come after coral_inference's own conf/: a plugin adds options, it cannot replace a shipped one.
Only entry-point metadata is read here; no plugin code is imported (Hydra imports the named
config package when it reads from it).
"""

from __future__ import annotations

from typing import Any

from hydra.plugins.search_path_plugin import SearchPathPlugin

from .. import CONF_MODULE
from ..plugins.contract import SEARCHPATH_GROUP
from ..plugins.discovery import entry_points


def plugin_config_packages() -> list[tuple[str, str, str | None]]:
    """(entry-point name, config package, distribution) for every installed plugin config package."""
    out = []
    for ep in entry_points(SEARCHPATH_GROUP):
        dist = getattr(ep, "dist", None)
        out.append((ep.name, ep.value.strip(), dist.metadata["Name"] if dist else None))
    return out


class CoralPluginSearchPath(SearchPathPlugin):
    def manipulate_search_path(self, search_path: Any) -> None:
        ours = f"pkg://{CONF_MODULE}"
        if not any(element.path == ours for element in search_path.get_path()):
            return  # not a coral_inference app
        for name, package, _dist in plugin_config_packages():
            search_path.append(provider=f"coral-plugin:{name}", path=f"pkg://{package}")


def register_searchpath() -> None:
    from hydra.core.plugins import Plugins

    Plugins.instance().register(CoralPluginSearchPath)
