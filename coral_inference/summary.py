"""The run summary: runtime_summary.json in every run directory.

Written atomically (temp file + rename in the same folder), also for a failed run. Secrets are
redacted (the policy of redaction.py, plus summary.secret_keys) before anything is written or printed.
`config_sha256` is the sha256 of the canonical JSON of the recorded (redacted) `config`:
``json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")``.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .plugins.contract import CONTRACT_VERSION
from .redaction import (  # noqa: F401  (the one redaction policy; re-exported for callers of summary)
    DEFAULT_SECRET_KEYS,
    REDACTED,
    is_secret_key,
    redact,
    redact_argv,
    redact_text,
)

SCHEMA_VERSION = 1
CANONICAL_JSON = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def config_sha256(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, **CANONICAL_JSON).encode("utf-8")).hexdigest()


def write_json_atomic(path: Path, data: Any) -> Path:
    """Strict JSON (NaN and infinities as strings), atomically, never through a symlink (files.py)."""
    from .files import write_json_atomic as write

    return write(path, data, "summary")


def write_text_atomic(path: Path, text: str) -> Path:
    """Text written atomically, never through a symlink (files.py)."""
    from .files import write_text_atomic as write

    return write(path, text)


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
    """The summary dict (already redacted). ``context`` may be None when init never ran. The values
    under secret keys of ``config`` are remembered (redaction.remember_config) for every later output."""
    from .files import strict_json  # the hash covers exactly what the summary holds (NaN as "NaN")
    from .redaction import remember_config, use_secret_keys

    if config is not None:
        use_secret_keys(secret_keys)
        remember_config(config, secret_keys)
    safe_config = strict_json(redact(config, secret_keys)) if config is not None else None
    if error is not None:
        status = "failed"
    elif context is not None:
        status = context.status
    else:
        status = "ok"
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "status": status,
        "status_reasons": list(getattr(context, "status_reasons", None) or []),  # why not ok (names what and why)
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
        **_backends(context),
        "patches": [p.to_dict() for p in getattr(context, "patches", [])],
        "plugins": {
            "contract_version": CONTRACT_VERSION,  # plugins/contract.py; backend records: backend_contract
            "loaded": dict(getattr(context, "plugins_loaded", {}) or {}),
            "details": list(getattr(context, "plugins", []) or []),
        },
        "versions": getattr(context, "versions", None) or _versions(),
        "results": getattr(context, "results", None) or {},
        "log": getattr(context, "log", []),
        "problems": dict(getattr(context, "problems", None) or {}),  # why the run is degraded while it ran
        "error": error,
    }
    if extra:
        summary.update(extra)
    summary = redact(summary, secret_keys)
    for key in ("error", "log", "results"):  # free text (messages) may quote a key=value or a value
        summary[key] = _text_tree(summary[key], secret_keys)
    summary = _text_tree(summary, secret_keys, scrub_only=True)  # values seen under secret keys anywhere
    summary["sources"] = sources or {}  # where each value came from: names, never values
    return summary


def _backends(context: Any) -> dict[str, Any]:
    """``backends``: one entry per (backend, model) pair that served a stream (a streams run), else the
    backends init built; ``idle_backends``: those init built that served no stream."""
    states = [b.to_dict() for b in getattr(context, "backends", [])]
    served = getattr(context, "served", None)
    if served is None:
        return {"backends": states}
    used = {(e.get("name"), e.get("model_name")) for e in served}
    idle = [s for s in states if (s.get("name"), "default") not in used]
    return {"backends": list(served), **({"idle_backends": idle} if idle else {})}


def _text_tree(value: Any, secret_keys: Any, scrub_only: bool = False) -> Any:
    from .redaction import scrub

    if isinstance(value, dict):
        return {k: _text_tree(v, secret_keys, scrub_only) for k, v in value.items()}
    if isinstance(value, list):
        return [_text_tree(v, secret_keys, scrub_only) for v in value]
    if isinstance(value, str):
        return scrub(value) if scrub_only else redact_text(value, secret_keys)
    return value


def _cwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # the folder was removed under the run
        return None


def _versions() -> dict[str, Any]:
    from .versions import collect_versions

    return collect_versions()
