"""Where configuration values come from, and the rules that read them.

The layers, lowest precedence first, are data (``PRECEDENCE``); ``descriptor.merge`` folds them in
this order with one loop, for coral-run and coral-runtime alike:

    schema   the dataclass defaults (config/schema.py)
    plugin   default_config_overrides of installed plugins (fill only what no file sets)
    defaults conf/ group options, then conf/config.yaml
    file     a descriptor: -c FILE, or --config-dir/--config-name (both CLIs, config/primary.py);
             or your --config-dir/--config-name Hydra primary config
    env      CORAL_* environment variables
    cli      command-line overrides (positional group=option / key=value, and --set K=V)

Environment rule (documented in docs/configuration.md, "Configuration layers"):
  * a name is ``CORAL_`` + the dotted key with ``__`` between levels, case-insensitive:
    ``CORAL_BACKENDS__CPU__NUM_THREADS=2`` sets ``backends.cpu.num_threads``;
  * a group name alone selects an option: ``CORAL_BACKENDS=edgetpu_multi``;
  * a text key (a str in the schema) gets the text as given (``0123`` stays ``0123``; ``null`` / ``~``
    -> null; quotes as below); for other keys the values are read by this rule:
    ``true/false/yes/no/on/off`` -> bool, ``null``/``~`` -> null, integers and decimals ->
    numbers, ``a,b`` or ``[a,b]`` -> a list (items read by the same rule), text in matching quotes
    -> that text verbatim (``'${oc.env:P}'`` stays those characters: never interpolated); anything
    else is text;
  * a value under a secret-looking key (token, password, ...) is passed as ``${oc.env:NAME}``, so
    it never lands in Hydra's .hydra/*.yaml records;
  * reserved, never read as config: ``RESERVED`` below, and any name the config itself reads with
    ``${oc.env:...}`` (such as CORAL_INFLUX_TOKEN).
"""

from __future__ import annotations

import dataclasses
import re
import typing
from enum import Enum
from typing import Any, Iterable, Mapping

from ..errors import Issues
from .schema import CoralConfig

PRECEDENCE = ("schema", "plugin", "defaults", "file", "env", "cli")
PREFIX = "CORAL_"
SEP = "__"
# CORAL_DEBUG: print tracebacks; CORAL_STRICT: unknown CORAL_ names are errors in coral-run;
# CORAL_NO_PRELOAD: coral-run does not fork its runner early (cli/preload.py);
# CORAL_INFLUX_TOKEN: read by conf/services/*.yaml through ${oc.env:...}.
RESERVED = frozenset({"CORAL_DEBUG", "CORAL_STRICT", "CORAL_INFLUX_TOKEN", "CORAL_NO_PRELOAD"})

_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}
_INT = re.compile(r"^[+-]?[0-9]{1,64}\Z")  # longer digit runs stay text: the key's type check refuses them
_FLOAT = re.compile(r"^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(\.[0-9]*)?[eE][+-]?[0-9]+)\Z")
ENV_RULE = ("true/false/yes/no/on/off, null or ~, a number, a list a,b or [a,b], "
            "'quoted text', or plain text")


class Verbatim(str):
    """Text an environment value gave in quotes: kept as it is (``${…}`` is not interpolated)."""


def parse_env_value(text: str) -> Any:
    """One rule for every environment value (see the module docstring)."""
    s = text.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return Verbatim(s[1:-1])
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1].strip()
        return [parse_env_value(p) for p in inner.split(",")] if inner else []
    if "," in s:
        return [parse_env_value(p) for p in s.split(",") if p.strip() != ""]
    low = s.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    if low in ("null", "~"):
        return None
    if _INT.match(s):
        return int(s)
    if _FLOAT.match(s):
        return float(s)
    return s


def is_utf8(text: str) -> bool:
    """Whether an environment value (str, its undecodable bytes as surrogates) is valid UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_bytes(text: str) -> str:
    """An undecodable value as printable text: its bytes, the bad ones as \\xNN."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("ascii")


def parse_env_text(text: str) -> Any:
    """An environment value for a text key: ``null`` / ``~`` -> None, text in matching quotes -> that
    text verbatim, anything else -> the text itself without surrounding blanks (``0123``, ``a,b`` and
    ``true`` stay text: a text key gets the characters that were given)."""
    s = text.strip()
    if s.lower() in ("null", "~"):
        return None
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return Verbatim(s[1:-1])
    return s


def is_text(tp: Any) -> bool:
    return _strip_optional(tp) is str


def env_name(key: str) -> str:
    return PREFIX + key.replace(".", SEP).upper()


# --- the schema as a tree of types -----------------------------------------------------------


class UnknownKey(KeyError):
    def __init__(self, key: str, choices: Iterable[str]):
        super().__init__(key)
        self.key, self.choices = key, sorted(choices)


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else Any
    return tp


@dataclasses.dataclass(frozen=True)
class _Hints:
    cache: dict = dataclasses.field(default_factory=dict)

    def __call__(self, cls: type) -> dict[str, Any]:
        if cls not in self.cache:
            self.cache[cls] = typing.get_type_hints(cls)
        return self.cache[cls]


hints = _Hints()


def type_at(key: str, root: Any = CoralConfig) -> Any:
    """The schema type at a dotted key; UnknownKey names the first part that does not exist."""
    tp, done = root, []
    for part in key.split(".") if key else []:
        tp = _strip_optional(tp)
        if tp is Any:
            return Any
        if dataclasses.is_dataclass(tp):
            fields = hints(tp)
            if part not in fields:
                raise UnknownKey(".".join(done + [part]), (".".join(done + [f]) for f in fields))
            tp = fields[part]
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            raise UnknownKey(".".join(done + [part]), [])
        done.append(part)
    return tp


def leaf_keys(root: Any = CoralConfig, prefix: str = "") -> list[str]:
    """Every fixed dotted key of the schema (dict entries excluded): for did-you-mean."""
    out = []
    for name, tp in hints(root).items():
        key = f"{prefix}{name}"
        inner = _strip_optional(tp)
        out += leaf_keys(inner, key + ".") if dataclasses.is_dataclass(inner) else [key]
    return out


def expectation(tp: Any) -> str:
    tp = _strip_optional(tp)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "one of " + " | ".join(m.value for m in tp)
    if dataclasses.is_dataclass(tp):
        return f"a mapping of {tp.__name__} fields"
    origin = typing.get_origin(tp)
    if origin is list:
        return f"a list of {expectation(typing.get_args(tp)[0])}"
    if origin is dict:
        return "a mapping"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "text"}.get(tp, str(tp))


def _fits(tp: Any, value: Any) -> bool:
    if isinstance(value, str) and "${" in value and not isinstance(value, Verbatim):
        return True  # an interpolation: checked when resolved
    optional = typing.get_origin(tp) is typing.Union and type(None) in typing.get_args(tp)
    tp = _strip_optional(tp)
    if value is None:
        return optional or tp is Any
    if tp is Any:
        return True
    if isinstance(tp, type) and issubclass(tp, Enum):
        return str(getattr(value, "value", value)) in {m.value for m in tp}
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    origin = typing.get_origin(tp)
    if origin is list:
        return isinstance(value, (list, tuple)) and all(_fits(typing.get_args(tp)[0], v) for v in value)
    if origin is dict or dataclasses.is_dataclass(tp):
        return isinstance(value, Mapping)
    return True


def check_tree(value: Any, key: str, source: str, issues: Issues, *, where: str = "") -> Any:
    """Check a (partial) value at ``key`` against the schema: unknown keys and wrong types become
    problems naming the key, value and ``source``; returns the value without the bad parts."""
    try:
        tp = type_at(key)
    except UnknownKey as exc:
        add_unknown(issues, exc, value, source)
        return _DROP
    inner = _strip_optional(tp)
    if isinstance(value, Mapping) and (dataclasses.is_dataclass(inner) or typing.get_origin(inner) is dict):
        kept = {}
        for k, v in value.items():
            if not isinstance(k, str) or not all(part.strip() for part in k.split(".")):
                # '', '.', 'a.', 1, null: no key of the schema; say so under the key it would sit in
                where = f"{key}.{k}" if key else repr(k)
                issues.add(where, f"{k!r} is not a key name", value=v, source=source,
                           expected="a key of the schema: a non-empty name (dotted parts non-empty)")
                continue
            checked = check_tree(v, f"{key}.{k}" if key else str(k), source, issues)
            if checked is not _DROP:
                kept[k] = checked
        return kept
    if not _fits(tp, value):
        issues.add(key, "wrong type", value=value, source=source, expected=expectation(tp) + where)
        return _DROP
    limit = _length_limit(key)
    if limit is not None and isinstance(value, (list, tuple)) and len(value) > limit.high:
        # refused before composition, which costs per item (20,000 workflow blocks took minutes)
        issues.add(key, f"{len(value)} items ({limit.doc})", value=f"a list of {len(value)} items", source=source,
                   expected=f"at most {int(limit.high)} items")
        return _DROP
    return value


def _length_limit(key: str) -> Any:
    from .ranges import WORKFLOW_BLOCKS

    parts = key.split(".")
    return WORKFLOW_BLOCKS if len(parts) == 3 and parts[0] == "streams" and parts[2] == "workflow" else None


_DROP = object()


def add_unknown(issues: Issues, exc: UnknownKey, value: Any, source: str | None, severity: str = "error",
                expected: str = "a key of the schema (coral_inference/config/schema.py)") -> None:
    import difflib

    choices = exc.choices or leaf_keys()
    close = difflib.get_close_matches(exc.key, choices, n=1, cutoff=0.75)
    if not close:  # compare the last part with the last parts of the neighbours
        tails = {c.rsplit(".", 1)[-1].rsplit(SEP, 1)[-1]: c for c in choices}
        tail = exc.key.rsplit(".", 1)[-1].rsplit(SEP, 1)[-1]
        close = [tails[t] for t in difflib.get_close_matches(tail, list(tails), n=1, cutoff=0.75)]
    hint = f"; did you mean {close[0]!r}?" if close else ""
    issues.add(exc.key, "unknown key" + hint, value=value, source=source, severity=severity, expected=expected)


# --- Hydra override strings ------------------------------------------------------------------


def render(value: Any) -> str:
    """A Python value as a Hydra override value (strings always quoted)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(render(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{render(v)}" for k, v in value.items()) + "}"
    text = re.sub(r"(\\+)(?='|$)", lambda m: m.group(1) * 2, str(value))
    if isinstance(value, Verbatim):  # OmegaConf reads \${ as a literal ${
        text = text.replace("${", "\\${")
    return "'" + text.replace("'", "\\'") + "'"
