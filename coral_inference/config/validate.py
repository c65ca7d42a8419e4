"""Semantic validation beyond types: every problem at once, each naming key, value, source and
what is expected. Never touches hardware.

Only the configuration's own checks live here (plugins.allowlist, plugins.config.<name> against the
plugins' settings, literal secrets); each part of the package owns the checks of its keys and
registers them as registry "check" entries (plugins/builtins.py: backends, model, platform,
interpreter, segments, webrtc, pipeline, bench…), run after these with one signature
``check(config, issues)``. Plugins may contribute checks the same way (``contributes={"check": …}``).
"""

from __future__ import annotations

import difflib
from typing import Any

from ..errors import Issues
from ..interpreter import interpreter_in_use
from ..plugins.declaration import settings_problems
from ..plugins.discovery import discover_all, entry_point_names
from ..plugins.registry import new_registry
from ..summary import REDACTED
from . import names, ranges


def check_plugins_allowlist(config: Any, issues: Issues) -> None:
    """Names in plugins.allowlist that no installed plugin has: neither an entry point's name nor a
    plugin's (spec) name."""
    mode = getattr(config.plugins.mode, "value", config.plugins.mode)
    if mode != "allowlist" or not config.plugins.allowlist:
        return
    try:
        known = entry_point_names()
        unknown = [n for n in config.plugins.allowlist if n not in known]
        if unknown:  # maybe spec names: read the specs (imports the plugins, activates none)
            known |= {r["name"] for r in discover_all({"mode": "auto"}, check=False)}
    except Exception:  # discovery trouble is reported by the plugin step, not here
        return
    for name in config.plugins.allowlist:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            issues.add("plugins.allowlist", "no installed plugin has this name"
                       + (f"; did you mean {close[0]!r}?" if close else ""), value=name,
                       expected=f"one of {sorted(known)} (coral-runtime plugins list)")


def check_plugin_settings(config: Any, issues: Issues) -> None:
    """plugins.config.<name> of every plugin that would load and declares a ``settings`` dataclass:
    unknown keys and wrong types are errors naming the key and the plugin. A name no installed plugin
    has is a warning (its settings would never be read)."""
    configured = config.plugins.config
    records = _records(config)
    known = entry_point_names() | {r["name"] for r in records}
    for name in configured:
        if name not in known:  # a typo, or a plugin that is not installed: its settings are never read
            close = difflib.get_close_matches(str(name), sorted(known), n=1)
            key = f"plugins.config.{name}"
            issues.add(key, f"no installed plugin is named {name!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
                       severity="warning",
                       expected=f"the name of an installed plugin ({', '.join(sorted(known)) or 'none installed'})")
    for record in records:
        spec = record.get("spec")
        if spec is None or record["status"] != "ok" or getattr(spec, "settings", None) is None:
            continue
        dist = record.get("distribution") or {}
        who = f"plugin {spec.name} ({dist.get('name')} {dist.get('version')})"
        for key, value, message, expected in settings_problems(spec, configured.get(spec.name) or {}):
            full = f"plugins.config.{spec.name}" + (f".{key}" if key else "")
            issues.add(full, f"{message} for {who}", value=value,
                       expected=f"{expected} ({spec.settings.__name__})")


def check_secrets(config: Any, issues: Issues) -> None:
    """A literal secret written in a file or on the command line: warn, recommend ${oc.env:...}."""
    for key, chain in (getattr(config, "sources", None) or {}).items():
        last = chain[-1] if isinstance(chain, (list, tuple)) and chain else None
        if isinstance(last, dict) and last.get("literal_secret"):
            issues.add(key, "a literal secret in the configuration", value=REDACTED, source=last.get("source"),
                       expected=f"a reference such as ${{oc.env:{key.replace('.', '_').upper()}}} "
                       "(or the CORAL_ environment variable)", severity="warning")


# The configuration's own checks (file names: config/names.py); the numeric ranges (config/ranges.py) run
# after every other check, so a key another check refused is said once.
CONFIG_CHECKS = [check_plugins_allowlist, check_plugin_settings, check_secrets, names.check]
LAST_CHECKS = [ranges.check]


def _records(config: Any) -> list[dict[str, Any]]:
    """Discovery records of the plugins ``config`` selects (imported, never activated; kept per process)."""
    choice = config.run.interpreter
    try:
        return discover_all(config, interpreter=choice, interpreter_info=lambda: interpreter_in_use(choice))
    except Exception:  # discovery trouble is reported by the plugin step, not here
        return []


def plugin_contributions(config: Any, kind: str) -> list[tuple[str, Any, str]]:
    """(name, object, source) of every ``kind`` that the plugins which would load here contribute
    (``contributes={kind: {...}}``): what validation knows of them before the run has loaded any plugin.
    ``source`` is the distribution's name, as loading registers it."""
    out = []
    for record in _records(config):
        spec = record.get("spec")
        if spec is None or record["status"] != "ok":
            continue
        source = (record.get("distribution") or {}).get("name") or f"plugin {spec.name}"
        entries = (spec.contributes or {}).get(kind) if isinstance(spec.contributes, dict) else None
        out += [(name, obj, source) for name, obj in (entries or {}).items()] if isinstance(entries, dict) else []
    return out


def plugin_checks(config: Any, registry: Any) -> list[tuple[str, Any, str]]:
    """(name, check, source) of the checks that plugins which would load here contribute and
    ``registry`` does not hold yet: validation runs them before the run has loaded any plugin."""
    # each checked against its kind when judged (contract.KIND_CHECKS)
    return [c for c in plugin_contributions(config, "check") if not registry.has("check", c[0])]


def validate(config: Any, registry: Any = None) -> Issues:
    """Every problem at once: the configuration's own checks, then every check in the registry (kind
    "check", in name order; with no registry given, the built-ins plus the checks of the plugins that
    would load), then the numeric ranges. A plugin's check that raises is a problem, not a crash."""
    issues = Issues(config=config)  # every problem's source: where the value at its key came from
    for check in CONFIG_CHECKS:
        check(config, issues)
    given = registry is not None
    registry = registry if given else new_registry()
    checks = [(name, check, registry.source("check", name)) for name, check in registry.items("check")]
    for name, check, source in checks + ([] if given else plugin_checks(config, registry)):
        if source == "builtin":  # ours: a bug raises
            check(config, issues)
            continue
        try:
            check(config, issues)
        except Exception as exc:
            issues.add(f"plugin {source}", f"its config check {name!r} raised {type(exc).__name__}: {exc}",
                       expected="a check that adds problems to issues and raises nothing")
    for check in LAST_CHECKS:
        check(config, issues)
    return issues
