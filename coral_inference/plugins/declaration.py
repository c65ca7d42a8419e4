"""Checks of what a PluginSpec declares (its shape, not this machine): every problem at once.

- ``declaration_problems(spec, group_type)``: the spec's own fields (name, type against its
  entry-point group, callables, the settings dataclass) and every contribution against its kind's
  protocol (contract.KIND_CHECKS: a decoder without ``decode``, a backend factory that takes neither
  contract's arguments, ...);
- ``foreign_keys(spec, group_type)``: the keys of ``default_config_overrides`` that are not the
  plugin's own (``plugins.config.<name>.*``, ``patches.<name>``, ``backends.extra.<name or kind>.*``);
- ``settings_problems(spec, values)``: ``plugins.config.<name>`` checked against ``spec.settings``.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Mapping

from .contract import ENTRY_POINT_GROUPS, TYPES, contribution_problems, contributions
from .registry import KINDS


def declaration_problems(spec: Any, group_type: str | None) -> list[str]:
    """What is wrong with a spec's declaration, as sentences ([] when nothing). A spec with only a
    name (and ``activate``) is valid in every group: ``type`` omitted means the group's type."""
    problems = []
    if not isinstance(spec.name, str) or not spec.name:
        problems.append(f"name {spec.name!r} is not a non-empty string")
    if spec.type is not None and spec.type not in TYPES:
        problems.append(f"type {spec.type!r} is not one of {', '.join(TYPES)} (or omitted: the entry-point group's)")
    elif spec.type is not None and group_type and spec.type != group_type:
        problems.append(f"type {spec.type!r} published in the {group_type} entry-point group")
    for attr in ("activate", "deactivate"):
        if getattr(spec, attr) is not None and not callable(getattr(spec, attr)):
            problems.append(f"{attr} is not callable")
    if spec.kind is not None and (not isinstance(spec.kind, str) or not spec.kind):
        problems.append(f"kind {spec.kind!r} is not a non-empty string")
    if spec.settings is not None and not (isinstance(spec.settings, type) and dataclasses.is_dataclass(spec.settings)):
        problems.append(f"settings is {spec.settings!r}, not a dataclass (it types plugins.config.<name>)")
    for attr in ("requires", "default_config_overrides"):
        value = getattr(spec, attr)
        if value is not None and not isinstance(value, Mapping):
            problems.append(f"{attr} is {type(value).__name__}, not a mapping")
    problems += _contribution_problems(spec.contributes)
    for kind, name, obj in contributions(spec):  # each against its kind's protocol (contract.KIND_CHECKS)
        problems += contribution_problems(kind, str(name), obj)
    return problems


def _contribution_problems(contributes: Any) -> list[str]:
    if contributes is None:
        return []
    if not isinstance(contributes, Mapping):
        return [f"contributes is {type(contributes).__name__}, not a mapping kind -> {{name: object}}"]
    problems = []
    for kind, entries in contributes.items():
        if kind not in KINDS:
            problems.append(f"contributes kind {kind!r} is not one of {', '.join(KINDS)}")
        elif not isinstance(entries, Mapping) or not all(isinstance(n, str) and n for n in entries):
            problems.append(f"contributes[{kind!r}] is not a mapping name -> object")
    return problems


def effective_type(spec: Any, group: str) -> str | None:
    """The type of a spec published in ``group``: its own, else the group's."""
    return spec.type or ENTRY_POINT_GROUPS.get(group)


def own_prefixes(spec: Any, group_type: str | None) -> list[str]:
    """Dotted keys (and everything below them) a plugin's default_config_overrides may set."""
    own = [f"plugins.config.{spec.name}", f"patches.{spec.name}"]
    if (spec.type or group_type) == "backend" or spec.backend is not None:
        own += sorted({f"backends.extra.{spec.name}", f"backends.extra.{spec.backend_kind}"})
    return own


def foreign_keys(spec: Any, group_type: str | None) -> list[str]:
    """The keys of ``default_config_overrides`` outside the plugin's own (see own_prefixes)."""
    overrides = spec.default_config_overrides
    if not isinstance(overrides, Mapping):
        return []
    own = own_prefixes(spec, group_type)
    return [key for key in overrides
            if not isinstance(key, str) or not any(key == p or key.startswith(p + ".") for p in own)]


def settings_problems(spec: Any, values: Any) -> list[tuple[str, Any, str, str]]:
    """(key below plugins.config.<name>, value, message, expected) for every value of ``values``
    that ``spec.settings`` (a dataclass) does not accept: unknown keys and wrong types."""
    settings = spec.settings
    if settings is None or not dataclasses.is_dataclass(settings):
        return []
    if not isinstance(values, Mapping):
        return [("", values, f"is {type(values).__name__}, not a mapping",
                 f"keys of {settings.__name__}: {', '.join(f.name for f in dataclasses.fields(settings))}")]
    try:
        hints = typing.get_type_hints(settings)
    except Exception:  # an unresolvable annotation: fall back to the raw one
        hints = {f.name: f.type for f in dataclasses.fields(settings)}
    fields = {f.name: f for f in dataclasses.fields(settings)}
    out = []
    for key, value in values.items():
        if key not in fields:
            import difflib

            close = difflib.get_close_matches(str(key), list(fields), n=1)
            out.append((str(key), value, "unknown setting" + (f"; did you mean {close[0]!r}?" if close else ""),
                        f"one of {', '.join(fields)} ({settings.__name__})"))
            continue
        problem = type_problem(hints.get(key, Any), value)
        if problem:
            out.append((str(key), value, problem, describe(hints.get(key, Any))))
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and name not in values:
            out.append((name, None, "required setting not set", describe(hints.get(name, Any))))
    return out


def describe(tp: Any) -> str:
    """A type as a reader writes it (``int``, ``float | None``, ``list[str]``)."""
    if tp is Any:
        return "any value"
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        return " | ".join("None" if a is type(None) else describe(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(describe(a) for a in args)}]" if args else name
    return getattr(tp, "__name__", str(tp))


def type_problem(tp: Any, value: Any) -> str | None:
    """Why ``value`` is not of type ``tp`` (None when it is). ints are accepted for floats; a
    string is never taken for a number or a bool (``score_scale=abc`` is an error, not 0)."""
    if tp is Any or tp is object:
        return None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        if any(type_problem(a, value) is None for a in args):
            return None
        others = [a for a in args if a is not type(None)]
        if len(others) == 1:  # Optional[X] given something: say what is wrong with it as an X
            return type_problem(others[0], value)
        return f"{value!r} is not {describe(tp)}"
    if tp is type(None):
        return None if value is None else f"{value!r} is not None"
    if origin in (list, tuple, typing.List, typing.Sequence) or tp in (list, tuple):
        if not isinstance(value, (list, tuple)):
            return f"{value!r} is not a list"
        for i, item in enumerate(value):
            problem = type_problem(args[0], item) if args and args[0] is not Ellipsis else None
            if problem:
                return f"item {i}: {problem}"
        return None
    if origin in (dict, typing.Dict, Mapping) or tp is dict:
        if not isinstance(value, Mapping):
            return f"{value!r} is not a mapping"
        if len(args) == 2:
            for k, v in value.items():
                problem = type_problem(args[1], v)
                if problem:
                    return f"[{k!r}]: {problem}"
        return None
    if tp is bool:
        return None if isinstance(value, bool) else f"{value!r} is not a bool (true/false)"
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else f"{value!r} is not a number"
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"{value!r} is not an integer"
    if isinstance(tp, type):
        import enum

        if issubclass(tp, enum.Enum):
            names = [m.name for m in tp]
            return None if value in names or isinstance(value, tp) else f"{value!r} is not one of {', '.join(names)}"
        return None if isinstance(value, tp) else f"{value!r} is not {tp.__name__}"
    return None
