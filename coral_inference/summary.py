"""The run summary: runtime_summary.json in every run directory.

Written atomically (temp file + rename in the same folder), also for a failed run. Secrets are
redacted (keys matching summary.secret_keys) before anything is written or printed.
`config_sha256` is the sha256 of the canonical JSON of the recorded (redacted) `config`:
``json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
REDACTED = "***"
DEFAULT_SECRET_KEYS = ("token", "password", "secret", "credential", "api_key")
CANONICAL_JSON = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def is_secret_key(key: str, secret_keys=DEFAULT_SECRET_KEYS) -> bool:
    """Whether a key's value is a secret: its name holds one of ``secret_keys``. The setting
    ``summary.secret_keys`` itself holds names, not secrets."""
    lowered = str(key).lower()
    return lowered != "secret_keys" and any(s in lowered for s in secret_keys)


def redact(value: Any, secret_keys=DEFAULT_SECRET_KEYS) -> Any:
    """A copy with every non-empty value under a secret-looking key replaced by ***; under such a
    key a list or mapping keeps its shape with each non-empty leaf replaced (``api_keys: [***, ***]``)."""
    if isinstance(value, dict):
        return {k: (_redact_leaves(v) if is_secret_key(k, secret_keys) else redact(v, secret_keys))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, secret_keys) for v in value]
    if isinstance(value, str) and ("=" in value or ":" in value):
        return redact_text(value, secret_keys)
    return value


def _redact_leaves(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redact_leaves(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_leaves(v) for v in value]
    return value if value in (None, "") else REDACTED


def config_sha256(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, **CANONICAL_JSON).encode("utf-8")).hexdigest()


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write JSON to a temp file in the same folder, fsync, then rename over ``path``."""
    return write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def write_text_atomic(path: Path, text: str) -> Path:
    """Write text to a temp file in the same folder, fsync, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; a summary is meant to be read
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def build(
    *,
    started_at: str,
    argv: list[str],
    overrides: list[str],
    choices: dict[str, Any],
    config: dict[str, Any] | None,
    context: Any = None,
    error: dict[str, Any] | None = None,
    sources: dict[str, Any] | None = None,
    secret_keys=DEFAULT_SECRET_KEYS,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The summary dict (already redacted). ``context`` may be None when init never ran."""
    safe_config = redact(config, secret_keys) if config is not None else None
    if error is not None:
        status = "failed"
    elif context is not None:
        status = context.status
    else:
        status = "ok"
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "status": status,
        "started_at": started_at,
        "finished_at": now_iso(),
        "argv": redact_argv(argv, secret_keys),
        "cwd": _cwd(),  # what relative paths (model.path, …) were read against: audit verify needs it
        "overrides": redact_argv(overrides, secret_keys),
        "choices": choices,
        "config": safe_config,
        "config_sha256": config_sha256(safe_config) if safe_config is not None else None,
        "hash": {"algorithm": "sha256", "canonical": "json sort_keys compact utf-8 of `config`"},
        "platform": getattr(context, "platform", None),
        "devices": getattr(context, "devices", None),
        "backends": [b.to_dict() for b in getattr(context, "backends", [])],
        "patches": [p.to_dict() for p in getattr(context, "patches", [])],
        "plugins": {
            "loaded": dict(getattr(context, "plugins_loaded", {}) or {}),
            "details": list(getattr(context, "plugins", []) or []),
        },
        "versions": getattr(context, "versions", None) or _versions(),
        "results": getattr(context, "results", None) or {},
        "log": getattr(context, "log", []),
        "error": error,
    }
    if extra:
        summary.update(extra)
    summary = redact(summary, secret_keys)
    summary["sources"] = sources or {}  # where each value came from: names, never values
    return summary


def redact_text(text: str, secret_keys=DEFAULT_SECRET_KEYS) -> str:
    """Replace the value of every ``key=value`` (or ``key: value``) in ``text`` whose key looks
    secret (overrides, Hydra's override_dirname, env assignments); a ``[…]`` or ``{…}`` value is
    replaced whole."""
    import re

    words = "|".join(re.escape(k) for k in secret_keys)
    # the key may go on below the secret-looking part: credentials.user=… is as secret as credentials=…
    pattern = re.compile(rf"([+~]*[\w.\-]*(?:{words})[\w.\-]*)(\s*[=:]\s*)", re.IGNORECASE)
    out, pos = [], 0
    for match in pattern.finditer(text):
        end = _value_end(text, match.end())
        if match.start() < pos or end == match.end():  # inside a value already replaced, or no value
            continue
        if not any(is_secret_key(part, secret_keys) for part in match.group(1).lstrip("+~").split(".")):
            continue  # only summary.secret_keys (names, not secrets) matched the words
        out.append(text[pos:match.end()] + REDACTED)
        pos = end
    return "".join(out) + text[pos:]


def _value_end(text: str, i: int) -> int:
    """Where the override value starting at ``i`` ends: a quoted string, a bracketed list or
    mapping, or text up to a space, quote, closing bracket or a comma before the next key."""
    if i < len(text) and text[i] in "'\"":
        close = text.find(text[i], i + 1)
        return len(text) if close == -1 else close + 1
    depth, j = 0, i
    while j < len(text):
        c = text[j]
        if c in "[{":
            depth += 1
        elif c in "]}":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and c == "," and _sweep_item(text, j + 1):
            pass  # a sweep's next value (token=a,b), not the next override (token=a,b=1)
        elif depth == 0 and (c in ",'\"" or c.isspace()):
            break
        j += 1
    return j


def _sweep_item(text: str, i: int) -> bool:
    """Whether the comma-separated item starting at ``i`` is a bare value (no key= / key:)."""
    import re

    item = re.match(r"[^,\s\]\}'\"]*", text[i:]).group(0)
    return bool(item) and "=" not in item and ":" not in item


def redact_argv(args: list[str], secret_keys=DEFAULT_SECRET_KEYS) -> list[str]:
    return [redact_text(str(arg), secret_keys) for arg in args]


def _cwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # the folder was removed under the run
        return None


def _versions() -> dict[str, Any]:
    from .runtime.versions import collect_versions

    return collect_versions()
