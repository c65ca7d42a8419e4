"""Finding plugins: entry points -> records (entry point, distribution + version, spec metadata,
status, reason). Nothing here activates a plugin; ``coral-runtime plugins list`` and the init step
(runtime/plugins.py) share it.

Statuses of a record: ok (loadable and compatible here), skipped (not in plugins.allowlist; not
imported), failed (import error, wrong object, bad spec), incompatible (a requirement not met; every
unmet requirement of the plugin is listed). The init step then makes ok into loaded or declined.
"""

from __future__ import annotations

import inspect
from typing import Any

from .plugin_requirements import check_requirements

WRONG_TYPE = "expected a PluginSpec, a list of PluginSpec, or a zero-argument callable returning either"


_SCANNED: dict[tuple[str, ...], dict[str, list[Any]]] = {}


def entry_points(group: str) -> list[Any]:
    """The entry points of ``group``, by name. All groups are read in one scan of the installed
    distributions, kept for as long as sys.path stays the same (one scan per run)."""
    import re
    import sys
    from importlib.metadata import distributions

    key = tuple(sys.path)
    if key not in _SCANNED:
        _SCANNED.clear()
        by_group: dict[str, list[Any]] = {}
        seen: set[str] = set()
        for dist in distributions():  # the first of a name on sys.path wins, as in entry_points()
            name = getattr(dist, "_normalized_name", None) or dist.metadata["Name"] or ""
            name = re.sub(r"[-_.]+", "_", name).lower()
            if name in seen:
                continue
            seen.add(name)
            for ep in dist.entry_points:
                by_group.setdefault(ep.group, []).append(ep)
        _SCANNED[key] = by_group
    return sorted(_SCANNED[key].get(group, []), key=lambda ep: ep.name)


def _base(ep: Any, group: str) -> dict[str, Any]:
    from .plugins import GROUPS

    dist = getattr(ep, "dist", None)
    return {
        "name": ep.name,
        "group": group,
        "type": GROUPS.get(group),
        "entry_point": {"name": ep.name, "value": ep.value, "group": group},
        "distribution": {"name": dist.metadata["Name"] if dist else None, "version": dist.version if dist else None},
        "status": "ok",
        "reason": None,
    }


def resolve(obj: Any) -> list[Any]:
    """The specs an entry point object stands for; TypeError naming what was found otherwise."""
    from .plugins import PluginSpec

    if isinstance(obj, PluginSpec):
        return [obj]
    if isinstance(obj, (list, tuple)):
        bad = [type(o).__name__ for o in obj if not isinstance(o, PluginSpec)]
        if bad:
            raise TypeError(f"a list holding {', '.join(bad)}; {WRONG_TYPE}")
        return list(obj)
    if callable(obj) and not isinstance(obj, type):
        try:
            required = [p for p in inspect.signature(obj).parameters.values()
                        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            required = []
        if required:
            raise TypeError(f"a callable needing arguments ({', '.join(p.name for p in required)}); {WRONG_TYPE}")
        result = obj()
        if callable(result) and not isinstance(result, (PluginSpec, list, tuple)):
            raise TypeError(f"a callable returning {type(result).__name__}; {WRONG_TYPE}")
        return resolve(result)
    raise TypeError(f"{type(obj).__name__} {obj!r:.60}; {WRONG_TYPE}")


def spec_problems(spec: Any, expected_type: str | None) -> list[str]:
    """What is wrong with a spec's own declaration (not with this machine)."""
    from .plugins import TYPES

    problems = []
    if not isinstance(spec.name, str) or not spec.name:
        problems.append(f"name {spec.name!r} is not a non-empty string")
    if spec.type not in TYPES:
        problems.append(f"type {spec.type!r} is not one of {', '.join(TYPES)}")
    elif expected_type and spec.type != expected_type:
        problems.append(f"type {spec.type!r} published in the {expected_type} entry-point group")
    for attr in ("activate", "deactivate"):
        if getattr(spec, attr) is not None and not callable(getattr(spec, attr)):
            problems.append(f"{attr} is not callable")
    needs = {"backend": "backend", "patch": "patch", "workflow": "workflow"}.get(spec.type)
    if needs and getattr(spec, needs) is None:
        problems.append(f"a {spec.type} plugin must set {needs}=")
    if spec.type == "backend" and spec.backend is not None and not callable(spec.backend):
        problems.append("backend is not a class or factory")
    if spec.type == "patch" and spec.patch is not None and not callable(getattr(spec.patch, "enable", None)):
        problems.append("patch has no enable(context) method")
    return problems


def discover_plugins(group: str, *, allow: set[str] | None = None, interpreter: str | None = "auto",
                     check: bool = True) -> list[dict[str, Any]]:
    """One record per plugin in ``group`` (each entry point loaded inside its own try). Records of
    loadable plugins carry the PluginSpec under "spec". ``allow``: entry-point names to import
    (None: all). ``interpreter``: run.interpreter for min_inference_version (None: skip that check)."""
    from .plugins import GROUPS

    records: list[dict[str, Any]] = []
    for ep in entry_points(group):
        base = _base(ep, group)
        if allow is not None and ep.name not in allow:
            records.append({**base, "status": "skipped", "reason": "not in plugins.allowlist"})
            continue
        try:
            specs = resolve(ep.load())
        except TypeError as exc:
            records.append({**base, "status": "failed", "reason": f"wrong object: {exc}"})
            continue
        except Exception as exc:  # an import error or a crash in the plugin's module
            records.append({**base, "status": "failed", "reason": f"cannot load {ep.value}: {type(exc).__name__}: {exc}"})
            continue
        if not specs:
            records.append({**base, "status": "failed", "reason": "the entry point provides no PluginSpec"})
        for spec in specs:
            record = {**base, "name": spec.name if isinstance(spec.name, str) else repr(spec.name),
                      "type": spec.type, "description": spec.description, "spec": spec}
            record["metadata"] = spec.metadata()
            problems = spec_problems(spec, GROUPS.get(group))
            if problems:
                record.update(status="failed", reason="; ".join(problems))
            elif check:
                unmet = check_requirements(spec, interpreter=interpreter)
                if unmet:
                    record.update(status="incompatible", reason="; ".join(unmet), unmet=unmet)
            records.append(record)
    return records
