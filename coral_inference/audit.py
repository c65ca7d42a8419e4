"""Audit a run directory: recompute what its summary claims and report match / changed / missing.

`config_sha256` is recomputed from the recorded `config` with the canonical JSON the summary names
(summary.config_sha256); every file of every ``backends`` entry (one per (backend, model) pair: the model,
its CPU twin, labels and segments) and of every ``idle_backends`` entry (built at init, served no stream) is
hashed again (the built-in model is rebuilt), each report naming the file's key and the entries that used it. Only files the recorded config names, or inside the run folder,
are read (any other path in a summary is `refused`, and fails the audit). Nothing here trusts the summary's
own verdicts.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .files import FileProblem, _json_type, field_of, load_json_checked, sha256_checked


def _model_records(summary: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    """Every file of every ``backends`` entry: its ``files`` (model, CPU twin, labels, segments, each with
    its key and sha256: backends/inventory.py) and the model that ran; one record per file, naming the
    entries (``backend/model``) that used it."""
    seen: dict[str, dict[str, Any]] = {}

    def add(file_path: Any, sha256: Any, key: Any, who: str) -> None:
        if not isinstance(file_path, str) or not isinstance(sha256, str) or not file_path:
            return
        record = seen.setdefault(file_path, {"path": file_path, "sha256": sha256, "key": key, "backends": []})
        if who not in record["backends"]:
            record["backends"].append(who)

    entries = [(f"{field}[{i}]", backend) for field in ("backends", "idle_backends")  # idle: built, served none
               for i, backend in enumerate(field_of(summary, field, list, path, SUMMARY) or [])]
    for where, backend in entries:
        if not isinstance(backend, dict):
            raise FileProblem(path, SUMMARY, f"{where} is not an object", "an object per backend in 'backends'")
        model = field_of(backend, "model", dict, path, SUMMARY, where=where) or {}
        name = field_of(backend, "name", str, path, SUMMARY, where=where)
        who = f"{name}/{backend.get('model_name') or 'default'}"
        files = field_of(backend, "files", list, path, SUMMARY, where=where) or []
        for j, item in enumerate(files):
            if not isinstance(item, dict):
                raise FileProblem(path, SUMMARY, f"{where}.files[{j}] is not an object", "an object per file")
            add(item.get("path"), item.get("sha256"), item.get("key"), who)
        if not model.get("segments") and field_of(model, "path", str, path, SUMMARY, where=f"{where}.model") \
                and field_of(model, "sha256", str, path, SUMMARY, where=f"{where}.model"):
            add(model["path"], model["sha256"], model.get("key"), who)  # what ran (a segmented model: its files)
    return list(seen.values())


def _named_by_config(config: Any) -> set[str]:
    """The file paths the recorded config names for models: model / models.<name> path, cpu_path, labels,
    segments."""
    out: set[str] = set()
    if not isinstance(config, dict):
        return out
    models = [config.get("model")] + list((config.get("models") or {}).values() if isinstance(config.get("models"), dict) else [])
    for model in models:
        if not isinstance(model, dict):
            continue
        for field in ("path", "cpu_path", "labels"):
            if isinstance(model.get(field), str):
                out.add(model[field])
        out.update(p for p in model.get("segments") or [] if isinstance(p, str))
    return out


def _allowed(record: dict[str, Any], named: set[str], base: Path, run_dir: Path) -> bool:
    """Audit verify reads only files the recorded config names (its hash is checked) or inside the run folder."""
    from .backends.selftest import BUILTIN_PREFIX

    path = record["path"]
    if path.startswith(BUILTIN_PREFIX) or path in named:
        return True
    file = Path(path).expanduser()
    file = file if file.is_absolute() else base / file
    try:
        return file.resolve().is_relative_to(run_dir.resolve())
    except OSError:
        return False


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
        try:  # a regular file of bounded size (a FIFO or device in its place is not the model)
            out["actual"] = sha256_checked(file, "model file", "model")
        except FileProblem as exc:
            detail = f"{file} no longer exists" if exc.reason == "not found" else f"{file}: {exc.reason}"
            return {**out, "status": "missing", "detail": detail}
    out["status"] = "match" if out["actual"] == record["sha256"] else "changed"
    return out


def load_summary(run_dir: Path, filename: str = "runtime_summary.json") -> dict[str, Any]:
    """The summary of a run directory (or a summary file): a regular JSON file of at most 16 MiB holding
    an object whose fields have the types coral-run writes; else a ConfigError naming the file and field."""
    path = Path(run_dir) / filename if Path(run_dir).is_dir() else Path(run_dir)
    try:
        summary = load_json_checked(path, SUMMARY, "summary", key="RUN_DIR")
    except FileProblem as exc:
        if exc.reason == "not found":
            raise ConfigError(f"RUN_DIR: no {filename} at {path} (expected a coral-run run directory)") from None
        raise
    if not isinstance(summary, dict):
        raise FileProblem(path, SUMMARY, f"holds {_json_type(summary)}, not an object",
                          "the JSON object coral-run writes", "RUN_DIR")
    for name, types in SHAPE.items():
        field_of(summary, name, types, path, SUMMARY)
    return summary


SUMMARY = "summary"
SHAPE = {"config": dict, "config_sha256": str, "status": str, "cwd": str, "hash": dict, "backends": list}


def verify(run_dir: Path, cwd: Path | None = None) -> dict[str, Any]:
    """The audit report: {"ok": bool, "config": {...}, "models": [...]}."""
    from .summary import config_sha256

    summary = load_summary(run_dir)
    path = Path(run_dir) / "runtime_summary.json" if Path(run_dir).is_dir() else Path(run_dir)
    recorded = summary.get("config_sha256")
    config = summary.get("config")
    if config is None or recorded is None:
        config_check = {"status": "missing", "recorded": recorded, "actual": None,
                        "detail": "the summary records no config (the run failed before it was built)"}
    else:
        actual = config_sha256(config)
        config_check = {"status": "match" if actual == recorded else "changed", "recorded": recorded,
                        "actual": actual, "algorithm": str((summary.get("hash") or {}).get("algorithm", "sha256"))}
    base = Path(cwd or summary.get("cwd") or Path.cwd())  # relative model paths: where the run read them
    named, folder = _named_by_config(config), path.parent
    models = [_check_model(r, base) if _allowed(r, named, base, folder) else
              {**r, "actual": None, "status": "refused",
               "detail": "not named by the recorded config nor inside the run folder: not read"}
              for r in _model_records(summary, path)]
    sinks = stream_sinks(summary, folder)
    changed = config_check["status"] == "changed" or any(m["status"] in ("changed", "refused") for m in models) \
        or any((s.get("results_lines") or {}).get("status") == "changed" for s in sinks.values())
    return {
        "run_dir": str(run_dir),
        "status": summary.get("status"),
        "ok": not changed,
        "config": config_check,
        "models": models,
        "missing": [m["path"] for m in models if m["status"] == "missing"],
        "services": delivery_services(summary),
        "streams": sinks,
    }


def stream_sinks(summary: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Per stream: each sink's totals as recorded (``written``, ``failed``, its ``close()`` report), and the
    results sink's ``lines`` recounted in the run folder's results.jsonl (match / changed / missing)."""
    results = summary.get("results") if isinstance(summary.get("results"), dict) else {}
    out: dict[str, Any] = {}
    counted: dict[str, int] | None = None
    for mode in ("pipeline", "serve"):
        run = results.get(mode) if isinstance(results.get(mode), dict) else {}
        for name, stream in (run.get("streams") if isinstance(run.get("streams"), dict) else {}).items():
            if not isinstance(stream, dict) or not isinstance(stream.get("sinks"), dict):
                continue
            reports, writes = stream["sinks"], stream.get("sink_writes") if isinstance(stream.get("sink_writes"), dict) else {}
            entry: dict[str, Any] = {"sinks": {sink: {**{k: (writes.get(sink) or {}).get(k) for k in ("written", "failed")},
                                                      "report": reports.get(sink)} for sink in sorted({*reports, *writes})}}
            lines = (reports.get("results") or {}).get("lines") if isinstance(reports.get("results"), dict) else None
            if isinstance(lines, int):
                counted = _result_lines(folder / "results.jsonl") if counted is None else counted
                actual = None if counted is None else counted.get(str(name), 0)
                entry["results_lines"] = {"recorded": lines, "actual": actual, "status": "missing" if actual is None
                                          else "match" if actual == lines else "changed"}
            out[str(name)] = entry
    return out


def _result_lines(path: Path) -> dict[str, int] | None:
    """Lines per stream of a results.jsonl (a regular file, not a symlink); None when there is none."""
    import json

    if path.is_symlink() or not path.is_file():
        return None
    counts: dict[str, int] = {}
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                stream = json.loads(line).get("stream")
            except (ValueError, AttributeError):
                stream = None
            counts[str(stream)] = counts.get(str(stream), 0) + 1
    return counts


DELIVERY = ("mqtt", "webhook")  # the run's delivery services (services/mqtt.py, services/webhook.py)


def delivery_services(summary: dict[str, Any]) -> dict[str, Any]:
    """What the run's delivery services say they did (as recorded, for the reader: not recomputed)."""
    results = summary.get("results") if isinstance(summary.get("results"), dict) else {}
    out = {}
    for mode in ("pipeline", "serve"):
        run = results.get(mode) if isinstance(results.get(mode), dict) else {}
        for key in DELIVERY:
            report = run.get(key)
            if isinstance(report, dict):
                out[key] = {k: report.get(k) for k in ("broker", "target", "state", "queued", "delivered",
                                                       "dropped", "rejected", "last_error") if k in report}
    return out
