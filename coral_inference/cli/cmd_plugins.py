"""coral-runtime plugins list [--group G] [--interpreter I] [--json]: the plugins discoverable
here, with their metadata and whether each is compatible, and the config group options plugins
ship. Plugins are imported to read their PluginSpec but never activated."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..plugins.contract import BACKEND_CONTRACTS, CONTRACT_VERSION

SHORT = {"backends": "coral_inference.backends", "patches": "coral_inference.patches",
         "workflows": "coral_inference.workflows"}


def register(sub: Any) -> None:
    plugins = sub.add_parser("plugins", help="list discoverable plugins")
    psub = plugins.add_subparsers(dest="plugins_command", metavar="SUBCOMMAND")
    lister = psub.add_parser("list", help="plugins from the coral_inference.* entry points (not activated)")
    lister.add_argument("--group", choices=sorted(SHORT) + sorted(SHORT.values()),
                        help="only this entry-point group")
    lister.add_argument("--interpreter", default="auto",
                        help="run.interpreter to check min_inference_version against (default: auto)")
    lister.add_argument("--json", action="store_true", help="one JSON document on stdout")
    lister.set_defaults(func=list_plugins)
    plugins.set_defaults(func=lambda args: plugins.print_help() or 2)


def config_options(package: str) -> dict[str, list[str]]:
    """group -> option names of a plugin's config package (its <group>/<option>.yaml files)."""
    from importlib.resources import files

    out: dict[str, list[str]] = {}
    try:
        root = files(package)
        for group in sorted((g for g in root.iterdir() if g.is_dir() and not g.name.startswith("_")),
                            key=lambda g: g.name):
            names = sorted(p.name[:-5] for p in group.iterdir() if p.name.endswith(".yaml"))
            if names:
                out[group.name] = names
    except Exception as exc:  # a broken package is shown, not fatal
        out["error"] = [f"{type(exc).__name__}: {exc}"]
    return out


def collect(groups: list[str], interpreter: str) -> dict[str, Any]:
    from ..config.searchpath import plugin_config_packages
    from ..interpreter import interpreter_in_use
    from ..plugins.discovery import discover

    plugins = []
    for group in groups:
        for record in discover(group, interpreter=interpreter, interpreter_info=lambda: interpreter_in_use(interpreter)):
            record.pop("spec", None)
            record["compatible"] = record["status"] == "ok"
            plugins.append(record)
    packages = [{"name": name, "package": package, "distribution": dist, "options": config_options(package)}
                for name, package, dist in plugin_config_packages()]
    return {"contract_version": CONTRACT_VERSION, "plugins": plugins, "config_packages": packages}


def render(doc: dict[str, Any]) -> str:
    version = doc.get("contract_version", CONTRACT_VERSION)
    lines = [f"plugin contract version {version}: backend {BACKEND_CONTRACTS[version]}"]
    if not doc["plugins"]:
        lines.append("no plugins found in the coral_inference.* entry-point groups")
    group = None
    for r in doc["plugins"]:
        if r["group"] != group:
            group = r["group"]
            lines.append(f"{group} (entry-point group)")
        dist = r.get("distribution") or {}
        state = "compatible" if r["compatible"] else r["status"]
        ep = (r.get("entry_point") or {}).get("name")
        line = (f"  {r['name']:<16} entry point {ep or '-':<16} {r.get('type') or '?':<8} "
                f"{dist.get('name')} {dist.get('version')}  {state}")
        kind = (r.get("metadata") or {}).get("kind")
        if kind:
            contract = r.get("backend_contract")
            line += f"  [backend kind {kind}" + (f", contract {contract}]" if contract else "]")
        if r.get("description"):
            line += f"  - {r['description']}"
        lines.append(line)
        for req in r.get("requirements") or ():
            have = f"installed {req['installed']}" if req["installed"] else "not installed"
            lines.append(f"      needs {req['requirement']}: {have}, {'met' if req['met'] else 'NOT met'}")
        if r.get("reason"):
            lines.append(f"      reason: {r['reason']}")
        if r.get("backend_contract") and r["backend_contract"] != CONTRACT_VERSION:
            lines.append(f"      backend contract {r['backend_contract']}: {BACKEND_CONTRACTS[r['backend_contract']]}")
    for pkg in doc["config_packages"]:
        options = dict(pkg["options"])
        error = options.pop("error", None)
        opts = ", ".join(f"{g}={o}" for g, names in options.items() for o in names) or "none"
        if error:
            opts += f" (cannot read it: {error[0]})"
        lines.append(f"config options from {pkg['distribution'] or pkg['name']} ({pkg['package']}): {opts}")
    return "\n".join(lines)


def list_plugins(args: argparse.Namespace) -> int:
    groups = [SHORT.get(args.group, args.group)] if args.group else list(SHORT.values())
    doc = collect(groups, args.interpreter)
    print(json.dumps(doc, indent=2, default=str) if args.json else render(doc))
    return 0
