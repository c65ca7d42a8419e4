"""The configuration reference, generated from the schema (config/schema.py), so it never goes stale.

Every key of ``CoralConfig`` becomes one ``Entry``: its dotted key (``<name>`` where a map takes names
of the user's, ``[]`` for list items), type, default, valid range (config/ranges.py), what it does and
which config group options (``conf/<group>/<option>.yaml``) set it. What a key does is the comment
written beside its field in schema.py (a trailing ``# …``, or the comment lines right above the field),
else the docstring of its section's class. ``markdown()`` renders the page the docs site shows
(docs/reference.md is filled by docs/hooks.py at build time); tests/config/test_reference.py fails for a
key without a description.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import inspect
import io
import json
import tokenize
import typing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from .ranges import range_for
from .schema import GROUPS, CoralConfig

NAME = "<name>"


@dataclass(frozen=True)
class Entry:
    key: str  # dotted; <name> stands for a name of the user's, [] for a list item
    type: str
    default: Any
    doc: str
    range: str | None
    groups: tuple[str, ...]  # group=option that set this key in conf/
    section: bool = False  # a nested section (its keys follow), not a value


@lru_cache(maxsize=None)
def field_docs(cls: type) -> dict[str, str]:
    """The comment of each field of a dataclass: trailing on its line, else the comment lines above it."""
    try:
        source, first = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return {}
    text = "".join(source)
    comments: dict[int, str] = {}  # line (1-based, in text) -> comment text
    code_lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
        elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                              tokenize.ENDMARKER):
            code_lines.update(range(tok.start[0], tok.end[0] + 1))
    tree = ast.parse(inspect.cleandoc("\n" + text) if text.startswith((" ", "\t")) else text)
    docs: dict[str, str] = {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    for node in body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        line = node.lineno
        trailing = [comments[n] for n in range(line, (node.end_lineno or line) + 1) if n in comments]
        above: list[str] = []
        n = line - 1
        while n in comments and n not in code_lines:
            above.insert(0, comments[n])
            n -= 1
        docs[node.target.id] = " ".join(above + trailing).strip()
    return docs


def _class_doc(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def type_name(tp: Any) -> str:
    tp, optional = _strip_optional(tp)
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        name = " | ".join(m.value for m in tp)
    elif dataclasses.is_dataclass(tp):
        name = "section"
    elif origin in (list, typing.List):
        (item,) = typing.get_args(tp) or (Any,)
        name = f"list of {type_name(item)}"
    elif origin in (dict, typing.Dict):
        args = typing.get_args(tp)
        name = f"map of {type_name(args[1]) if args else 'any'}"
    elif tp is Any:
        name = "any"
    else:
        name = getattr(tp, "__name__", str(tp))
    return f"{name} or null" if optional else name


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _walk(cls: type, instance: Any, prefix: str) -> Iterator[tuple[str, Any, Any, str, bool]]:
    """(key, type, default, doc, section) for every field under ``cls``, depth first."""
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        tp = hints[f.name]
        inner, _ = _strip_optional(tp)
        value = getattr(instance, f.name, None) if instance is not None else None
        doc = docs.get(f.name, "")
        origin = typing.get_origin(inner)
        args = typing.get_args(inner)
        if dataclasses.is_dataclass(inner):
            yield key, tp, None, doc or _class_doc(inner), True
            yield from _walk(inner, value if value is not None else inner(), key + ".")
        elif origin in (dict, typing.Dict) and args and dataclasses.is_dataclass(args[1]):
            yield key, tp, _plain(value) or {}, doc or _class_doc(args[1]), True
            yield from _walk(args[1], args[1](), f"{key}.{NAME}.")
        elif origin in (list, typing.List) and args and dataclasses.is_dataclass(args[0]):
            yield key, tp, _plain(value) or [], doc or _class_doc(args[0]), True
            yield from _walk(args[0], args[0](), f"{key}[].")
        else:
            yield key, tp, _plain(value), doc, False


def _generic(key: str) -> str:
    return key.replace(f".{NAME}.", ".*.").replace("[].", ".*.")


def _flatten(node: Any, prefix: str) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            if str(k) == "defaults" and not prefix:
                continue
            yield from _flatten(v, f"{prefix}{k}.")
        if prefix:
            yield prefix[:-1]
    elif isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
        for v in node:
            yield from _flatten(v, f"{prefix}*.")
        yield prefix[:-1]
    else:
        yield prefix[:-1]


@lru_cache(maxsize=None)
def group_settings() -> dict[str, tuple[str, ...]]:
    """Generic key (maps' names as ``*``) -> the conf/ group options that set it."""
    import yaml

    from .. import conf

    root = Path(conf.__file__).parent
    found: dict[str, set[str]] = {}
    for group in GROUPS:
        for path in sorted((root / group).glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for key in _flatten(data, f"{group}."):
                found.setdefault(key, set()).add(f"{group}={path.stem}")
    return {k: tuple(sorted(v)) for k, v in found.items()}


def _matches(pattern: str, key: str) -> bool:
    """``key`` (a conf/ file's, names literal) is an instance of ``pattern`` (maps' names as ``*``)."""
    pp, kp = pattern.split("."), key.split(".")
    return len(pp) == len(kp) and all(p == "*" or p == k for p, k in zip(pp, kp))


def entries() -> list[Entry]:
    settings = group_settings()
    out = []
    for key, tp, default, doc, section in _walk(CoralConfig, CoralConfig(), ""):
        generic = _generic(key)
        rng = range_for(generic.replace("*", "x"))
        groups = sorted({g for k, gs in settings.items() if _matches(generic, k) for g in gs})
        out.append(Entry(key, type_name(tp), default, doc, rng.expected() if rng else None, tuple(groups),
                         section))
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """The reference page's body: one table per top-level section."""
    lines: list[str] = []
    current = None
    for e in entries():
        top = e.key.split(".")[0].split("[")[0]
        if top != current:
            current = top
            lines += ["", f"## `{top}`", "", "| key | type | default | what it does | set by |",
                      "|---|---|---|---|---|"]
        default = "" if e.section else f"`{json.dumps(e.default, default=str)}`"
        what = e.doc + (f" Range: {e.range}." if e.range else "")
        groups = ", ".join(f"`{g}`" for g in e.groups)
        key = f"**`{e.key}`**" if e.section else f"`{e.key}`"
        lines.append(f"| {key} | {_cell(e.type)} | {_cell(default)} | {_cell(what)} | {groups} |")
    return "\n".join(lines).lstrip("\n") + "\n"


def describe(key: str) -> Entry | None:
    """The entry of a concrete dotted key (``streams.front.max_fps``, ``services.webrtc.ice_servers[0].urls``)."""
    import re

    concrete = re.sub(r"\[(\d+)\]", r".\1", key)
    for e in entries():
        if _matches(_generic(e.key), concrete):
            return e
    return None
