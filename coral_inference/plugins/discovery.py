"""Finding plugins: entry points -> records (entry point, distribution + version, spec metadata,
status, reason). Nothing here activates a plugin; ``coral-runtime plugins list``, config validation,
the plugin defaults layer and the init step (runtime/plugins.py) share it.

Statuses of a record: ok (loadable and compatible here), skipped (not in plugins.allowlist; not
imported), failed (import error, wrong object, bad declaration), incompatible (a requirement not met).
Every problem of one plugin is listed together, in ``problems`` and joined in ``reason``: unmet
requirements first (then the status is incompatible), then what is wrong with its declaration.
The init step then makes ok into loaded, declined or failed.
"""

from __future__ import annotations

import inspect
from typing import Any, Iterable, Mapping

from .contract import ENTRY_POINT_GROUPS, PluginSpec, backend_takes_model
from .declaration import declaration_problems
from .requirements import requirements

WRONG_TYPE = "expected a PluginSpec, a list of PluginSpec, or a zero-argument callable returning either"

_SCANNED: dict[tuple[str, ...], dict[str, list[Any]]] = {}


def entry_points(group: str) -> list[Any]:
    """The entry points of ``group``, by name. All groups are read in one scan of the installed
    distributions, kept for as long as sys.path stays the same (one scan per process)."""
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


def entry_point_names(groups: Iterable[str] = ENTRY_POINT_GROUPS) -> set[str]:
    """Names of the entry points of the plugin groups (metadata only: nothing is imported)."""
    return {ep.name for group in groups for ep in entry_points(group)}


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


def selected(plugins: Any) -> tuple[str, set[str] | None]:
    """(mode, allowlisted names or None for all) of a plugins section, or of a config holding one."""
    if plugins is not None and _get(plugins, "mode") is None and _get(plugins, "plugins") is not None:
        plugins = _get(plugins, "plugins")
    if plugins is None:
        return "auto", None
    mode = _get(plugins, "mode") or "auto"
    mode = str(getattr(mode, "value", mode))
    return mode, (set(_get(plugins, "allowlist") or ()) if mode == "allowlist" else None)


def _base(ep: Any, group: str) -> dict[str, Any]:
    dist = getattr(ep, "dist", None)
    return {
        "name": ep.name,
        "group": group,
        "type": ENTRY_POINT_GROUPS.get(group),
        "entry_point": {"name": ep.name, "value": ep.value, "group": group},
        "distribution": {"name": dist.metadata["Name"] if dist else None, "version": dist.version if dist else None},
        "status": "ok",
        "reason": None,
    }


def resolve(obj: Any) -> list[Any]:
    """The specs an entry point object stands for; TypeError naming what was found otherwise."""
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


def judge(spec: Any, group: str, *, check: bool = True, interpreter: str | None = "auto",
          interpreter_info: Any = None) -> tuple[str, list[dict[str, Any]], list[str]]:
    """(status, requirement rows, declaration problems) of one spec: ok, incompatible (a
    requirement not met, whatever else is wrong) or failed (only its declaration is wrong)."""
    problems = declaration_problems(spec, ENTRY_POINT_GROUPS.get(group))
    rows: list[dict[str, Any]] = []
    if check:
        try:
            rows = requirements(spec, interpreter=interpreter, interpreter_info=interpreter_info)
        except Exception as exc:  # a requirement declared so badly it cannot be read
            problems.append(f"requirements cannot be checked: {type(exc).__name__}: {exc}")
    unmet = [r for r in rows if not r["met"]]
    status = "incompatible" if unmet else "failed" if problems else "ok"
    return status, rows, problems


_JUDGED: dict[tuple, list[dict[str, Any]]] = {}


def discover(group: str, *, allow: set[str] | None = None, interpreter: str | None = "auto",
             interpreter_info: Any = None, check: bool = True) -> list[dict[str, Any]]:
    """One record per plugin in ``group``: see ``_discover``. The records are kept per process (and
    sys.path, allowlist, interpreter choice): the plugin defaults layer, validation and the init step
    ask the same question once each; every call gets fresh copies of the records."""
    import sys

    if _JUDGED and next(iter(_JUDGED))[0] != tuple(sys.path):
        _JUDGED.clear()
    key = (tuple(sys.path), group, None if allow is None else frozenset(allow), interpreter,
           interpreter_info is not None, check)
    if key not in _JUDGED:
        _JUDGED[key] = _discover(group, allow=allow, interpreter=interpreter, interpreter_info=interpreter_info,
                                 check=check)
    return [dict(r) for r in _JUDGED[key]]


def _discover(group: str, *, allow: set[str] | None, interpreter: str | None, interpreter_info: Any,
              check: bool) -> list[dict[str, Any]]:
    """One record per plugin in ``group`` (each entry point loaded inside its own try). Records of
    plugins that can load carry the PluginSpec under "spec".

    ``allow``: plugins.allowlist (None: all). A name selects the entry point of that name, or the
    plugin of that spec name: entry points whose names are not listed are imported only when a
    listed name is no entry point's (it may be a spec name), and then only the specs named load.
    ``interpreter`` / ``interpreter_info``: run.interpreter and the interpreter in use, for
    ``min_inference_version`` (plugins/requirements.py; not checked when either is None)."""
    records: list[dict[str, Any]] = []
    by_spec_name = allow is not None and bool(allow - entry_point_names())
    for ep in entry_points(group):
        base = _base(ep, group)
        listed = allow is None or ep.name in allow
        if not listed and not by_spec_name:
            records.append({**base, "status": "skipped", "reason": "not in plugins.allowlist"})
            continue
        try:
            specs = resolve(ep.load())
        except TypeError as exc:
            specs, failure = [], f"wrong object: {exc}"
        except Exception as exc:  # an import error or a crash in the plugin's module
            specs, failure = [], f"cannot load {ep.value}: {type(exc).__name__}: {exc}"
        else:
            failure = None if specs else "the entry point provides no PluginSpec"
        if failure:
            skipped = not listed  # imported only to read spec names
            records.append({**base, "status": "skipped" if skipped else "failed",
                            "reason": (f"not in plugins.allowlist ({failure})" if skipped else failure)})
            continue
        for spec in specs:
            records.append(_record(base, spec, group, listed or spec.name in (allow or ()),
                                   check=check, interpreter=interpreter, interpreter_info=interpreter_info))
    return records


def _record(base: dict[str, Any], spec: Any, group: str, listed: bool, **judging: Any) -> dict[str, Any]:
    name = spec.name if isinstance(spec.name, str) else repr(spec.name)
    record = {**base, "name": name, "type": spec.type or base["type"], "description": spec.description,
              "spec": spec}
    try:
        record["metadata"] = spec.metadata(base["type"])
    except Exception as exc:  # a declaration too broken to describe is still recorded
        record["metadata"] = {"name": name, "error": f"{type(exc).__name__}: {exc}"}
    if spec.backend is not None and callable(spec.backend):  # which backend contract its factory follows
        record["backend_contract"] = {True: 2, False: 1}.get(backend_takes_model(spec.backend))
    if not listed:
        record.update(status="skipped", reason="not in plugins.allowlist")
        return record
    status, rows, problems = judge(spec, group, **judging)
    record["requirements"] = rows
    unmet = [r["problem"] for r in rows if not r["met"]]
    if status != "ok":
        record.update(status=status, reason="; ".join(unmet + problems), problems=unmet + problems)
        if unmet:
            record["unmet"] = unmet
    return record


def discover_all(plugins: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
    """Records of every plugin group, honouring a plugins section's mode and allowlist ([] for
    mode none: nothing imported)."""
    mode, allow = selected(plugins)
    if mode == "none":
        return []
    return [r for group in ENTRY_POINT_GROUPS for r in discover(group, allow=allow, **kwargs)]
