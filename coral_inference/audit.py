"""Audit a run directory: recompute what its summary claims and report match / changed / missing.

`config_sha256` is recomputed from the recorded `config` with the canonical JSON the summary names
(summary.config_sha256); every model file the backends used is hashed again (the built-in model is
rebuilt). Nothing here trusts the summary's own verdicts.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .errors import ConfigError


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _model_records(summary: dict[str, Any]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for backend in summary.get("backends") or []:
        model = backend.get("model") or {}
        if model.get("path") and model.get("sha256"):
            seen.setdefault(model["path"], {"path": model["path"], "sha256": model["sha256"], "backends": []})
            seen[model["path"]]["backends"].append(backend.get("name"))
    return list(seen.values())


def _check_model(record: dict[str, Any], base: Path) -> dict[str, Any]:
    from .backends.selftest import BUILTIN_PREFIX, SELFTEST, build_selftest_model

    path = record["path"]
    out = {**record, "actual": None}
    if path.startswith(BUILTIN_PREFIX):
        if path != SELFTEST:
            return {**out, "status": "missing", "detail": "unknown built-in model"}
        out["actual"] = hashlib.sha256(build_selftest_model()).hexdigest()
    else:
        file = Path(path).expanduser()
        file = file if file.is_absolute() else base / file
        if not file.is_file():
            return {**out, "status": "missing", "detail": f"{file} no longer exists"}
        out["actual"] = _file_sha256(file)
    out["status"] = "match" if out["actual"] == record["sha256"] else "changed"
    return out


def load_summary(run_dir: Path, filename: str = "runtime_summary.json") -> dict[str, Any]:
    path = Path(run_dir) / filename if Path(run_dir).is_dir() else Path(run_dir)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"RUN_DIR: no {filename} at {path} (expected a coral-run run directory)") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"RUN_DIR: cannot read {path}: {exc} (expected the JSON summary coral-run writes)") from None


def verify(run_dir: Path, cwd: Path | None = None) -> dict[str, Any]:
    """The audit report: {"ok": bool, "config": {...}, "models": [...]}."""
    from .summary import config_sha256

    summary = load_summary(run_dir)
    recorded = summary.get("config_sha256")
    config = summary.get("config")
    if config is None or recorded is None:
        config_check = {"status": "missing", "recorded": recorded, "actual": None,
                        "detail": "the summary records no config (the run failed before it was built)"}
    else:
        actual = config_sha256(config)
        config_check = {"status": "match" if actual == recorded else "changed", "recorded": recorded,
                        "actual": actual, "algorithm": (summary.get("hash") or {}).get("algorithm", "sha256")}
    base = Path(cwd or summary.get("cwd") or Path.cwd())  # relative model paths: where the run read them
    models = [_check_model(r, base) for r in _model_records(summary)]
    changed = config_check["status"] == "changed" or any(m["status"] == "changed" for m in models)
    return {
        "run_dir": str(run_dir),
        "status": summary.get("status"),
        "ok": not changed,
        "config": config_check,
        "models": models,
        "missing": [m["path"] for m in models if m["status"] == "missing"],
    }
