"""The sweep report: sweep_summary.json, .csv and .md in a multirun's sweep directory.

One row per job folder (``0``, ``1``, ...): its overrides, group choices, status, error and the
headline bench figures of its first benchmarked backend. A sweep stopped by a signal also has a
``not run`` row for each job it never started (``interrupted`` names the signal). A job folder without a readable
runtime_summary.json (the job crashed or was killed before writing it) is a ``failed`` row whose
overrides and choices come from Hydra's own ``.hydra/`` record. Files are written atomically.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from ..config.schema import GROUPS
from ..files import FileProblem, dumps_strict, field_of, load_json_checked, load_yaml_checked, write_set_atomic
from ..summary import now_iso

SUMMARY_FILE = "runtime_summary.json"
REPORT_STEM = "sweep_summary"
BENCH_COLUMNS = ("throughput_ips", "concurrency", "avg_ms", "p50_ms", "p90_ms", "p99_ms", "init_ms",
                 "first_inference_ms", "peak_rss_mb")
NOT_RUN = "not run"  # status of a job an interrupted sweep never started
NO_SUMMARY = "no runtime_summary.json: the job ended before writing it (crashed or was killed)"


def is_job_dir(path: Path) -> bool:
    """A job folder: named by its job number (Hydra's default hydra.sweep.subdir), or holding Hydra's
    .hydra/ record or a summary. Other folders (a date folder's sweeps, a recordings folder) are not jobs."""
    return (path.is_dir() and not path.name.startswith(".")
            and (path.name.isdigit() or (path / ".hydra").is_dir() or (path / SUMMARY_FILE).is_file()))


def job_dirs(sweep_dir: Path) -> list[Path]:
    """The job folders of a sweep, in job order."""
    return sorted((p for p in Path(sweep_dir).iterdir() if is_job_dir(p)),
                  key=lambda p: (not p.name.isdigit(), int(p.name) if p.name.isdigit() else 0, p.name))


def job_summaries(sweep_dir: Path, filename: str = SUMMARY_FILE) -> list[tuple[Path, dict | None]]:
    """(job dir, summary or None when missing), for each job folder of a sweep. A summary that is not a
    regular JSON file of bounded size holding an object with the fields coral-run writes is a FileProblem
    (exit 2) naming the file and the field."""
    out = []
    for job_dir in job_dirs(sweep_dir):
        path = job_dir / filename
        try:
            summary = load_json_checked(path, "job summary", "summary")
        except FileProblem as exc:
            if exc.reason != "not found":
                raise
            out.append((job_dir, None))
            continue
        out.append((job_dir, check_summary(summary, path)))
    return out


def check_summary(summary: Any, path: Path) -> dict[str, Any]:
    """The fields of a job summary this report reads, type-checked (a FileProblem names the field)."""
    what = "job summary"
    if not isinstance(summary, dict):
        raise FileProblem(path, what, f"holds {type(summary).__name__}, not an object", "the JSON object coral-run writes")
    for name, types in (("overrides", list), ("choices", dict), ("status", str), ("error", dict),
                        ("backends", list)):
        field_of(summary, name, types, path, what)
    for i, item in enumerate(summary.get("overrides") or []):
        field_of({"o": item}, "o", str, path, what, where=f"overrides[{i}]")
    error = summary.get("error") or {}
    field_of(error, "exit_code", int, path, what, where="error")
    field_of(error, "message", str, path, what, where="error")
    for i, backend in enumerate(summary.get("backends") or []):
        where = f"backends[{i}]"
        if not isinstance(backend, dict):
            raise FileProblem(path, what, f"{where} is not an object", "an object per backend in 'backends'")
        for name, types in (("name", str), ("device", (str, dict, list)), ("benchmark", dict), ("timings_ms", dict)):
            field_of(backend, name, types, path, what, where=where)
        bench = backend.get("benchmark") or {}
        field_of(bench, "timed", dict, path, what, where=f"{where}.benchmark")
        for name in ("init_ms", "first_inference_ms", "peak_rss_mb"):
            field_of(bench, name, (int, float, str), path, what, where=f"{where}.benchmark")
        for name in BENCH_COLUMNS:
            field_of(bench.get("timed") or {}, name, (int, float, str), path, what, where=f"{where}.benchmark.timed")
    return summary


def job_row(job_dir: Path, summary: dict[str, Any] | None) -> dict[str, Any]:
    """The report row of one job."""
    row: dict[str, Any] = {"job": job_dir.name, "dir": str(job_dir)}
    if summary is None:
        hydra_record = _hydra_record(job_dir)
        row.update(overrides=hydra_record["overrides"], choices=hydra_record["choices"], status="failed",
                   exit_code=None, error=NO_SUMMARY, backend=None, device=None)
        row.update({k: None for k in BENCH_COLUMNS})
        return row
    error = summary.get("error") or {}
    backends = summary.get("backends") or []
    benched = next((b for b in backends if b.get("benchmark")), None)
    headline = benched or (backends[0] if backends else {})
    row.update(
        overrides=list(summary.get("overrides") or []),
        choices={k: v for k, v in (summary.get("choices") or {}).items() if v is not None},
        status=summary.get("status", "failed"),
        exit_code=error.get("exit_code", 0 if not error else None),
        error=error.get("message"),
        backend=headline.get("name"),
        device=headline.get("device"),
    )
    bench = (benched or {}).get("benchmark") or {}
    timed = bench.get("timed") or {}
    row.update({k: timed.get(k) for k in ("throughput_ips", "concurrency", "avg_ms", "p50_ms", "p90_ms", "p99_ms")})
    timings = headline.get("timings_ms") or {}
    row["init_ms"] = bench.get("init_ms", timings.get("init"))
    row["first_inference_ms"] = bench.get("first_inference_ms", timings.get("first_inference"))
    row["peak_rss_mb"] = bench.get("peak_rss_mb")
    return row


def build_report(sweep_dir: Path, expected: list[list[str]] | None = None,
                 interrupted: str | None = None) -> dict[str, Any]:
    """The report of a sweep's job folders. ``expected``: every job's overrides in job order (the
    sweeper's list); a job of it without a folder is a ``not run`` row (the sweep was ``interrupted``
    by that signal before it started)."""
    from ..redaction import redact, redact_argv

    sweep_dir = Path(sweep_dir).resolve()
    rows = [job_row(d, s) for d, s in job_summaries(sweep_dir)]
    seen = {r["job"] for r in rows}
    for num, overrides in enumerate(expected or []):
        if str(num) not in seen:
            rows.append(not_run_row(num, overrides, interrupted))
    rows.sort(key=lambda r: (not str(r["job"]).isdigit(), int(r["job"]) if str(r["job"]).isdigit() else 0))
    for row in rows:  # the report is a sweep file: no secret of an override or an error reaches it
        row["overrides"] = redact_argv(row.get("overrides") or [])
        if isinstance(row.get("error"), str):
            row["error"] = redact_argv([row["error"]])[0]
    report = {
        "sweep_dir": str(sweep_dir),
        "generated_at": now_iso(),
        "jobs": len(rows),
        "failed": sum(1 for r in rows if r["status"] == "failed"),
        "not_run": sum(1 for r in rows if r["status"] == NOT_RUN),
        "rows": rows,
    }
    if interrupted:
        report["interrupted"] = interrupted
    return redact(report)


def not_run_row(num: int, overrides: list[str], interrupted: str | None) -> dict[str, Any]:
    why = f"the sweep was stopped by {interrupted} before this job started" if interrupted else "never started"
    row: dict[str, Any] = {"job": str(num), "dir": None, "overrides": list(overrides), "choices": {},
                           "status": NOT_RUN, "exit_code": None, "error": f"did not run: {why}",
                           "backend": None, "device": None}
    row.update({k: None for k in BENCH_COLUMNS})
    return row


def write_reports(sweep_dir: Path, expected: list[list[str]] | None = None,
                  interrupted: str | None = None) -> dict[str, Any]:
    """Build the report from the job folders and write the three files; returns the report."""
    sweep_dir = Path(sweep_dir)
    report = build_report(sweep_dir, expected, interrupted)
    paths = {ext: sweep_dir / f"{REPORT_STEM}.{ext}" for ext in ("json", "csv", "md")}
    report["files"] = {ext: str(p) for ext, p in paths.items()}
    texts = {paths["csv"]: to_csv(report["rows"]), paths["md"]: to_markdown(report)}
    # the JSON report is also the set's manifest: the sha256 of the CSV and Markdown written with it
    report["manifest"] = {ext: hashlib.sha256(texts[paths[ext]].encode("utf-8")).hexdigest() for ext in ("csv", "md")}
    texts[paths["json"]] = dumps_strict(report, indent=2, ensure_ascii=False) + "\n"
    write_set_atomic(texts, "sweep report")  # all three replaced together, or none
    return report


def columns(rows: list[dict[str, Any]]) -> list[str]:
    groups = [g for g in GROUPS if any(g in r["choices"] for r in rows)]
    return (["job", "status", "exit_code", "overrides"] + [f"choice.{g}" for g in groups]
            + ["backend", "device", *BENCH_COLUMNS, "error"])


def flat(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in ("choices", "overrides")}
    out["overrides"] = " ".join(row["overrides"])
    out.update({f"choice.{g}": v for g, v in row["choices"].items()})
    return out


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(rows), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in flat(row).items()})
    return buffer.getvalue()


def to_markdown(report: dict[str, Any]) -> str:
    rows = report["rows"]
    cols = [c for c in columns(rows) if c != "error"]
    lines = [f"# Sweep summary: {report['sweep_dir']}", "",
             f"{report['jobs']} job(s), {report['failed']} failed"
             + (f", {report['not_run']} not run (stopped by {report['interrupted']})" if report.get("interrupted") else "")
             + f"; generated {report['generated_at']}.", "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        values = flat(row)
        lines.append("| " + " | ".join(_cell(values.get(c)) for c in cols) + " |")
    errors = [(r["job"], r["error"]) for r in rows if r.get("error")]
    if errors:
        lines += ["", "## Errors", ""]
        lines += [f"- job {job}: {_cell(' '.join(str(message).split()))}" for job, message in errors]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _hydra_record(job_dir: Path) -> dict[str, Any]:
    """Overrides and group choices from the job's .hydra/ folder (what Hydra wrote before the task)."""
    record: dict[str, Any] = {"overrides": [], "choices": {}}
    try:  # Hydra's own records, read with the checked loader (a FIFO or a bomb there is exit 2)
        overrides = load_yaml_checked(job_dir / ".hydra" / "overrides.yaml", "Hydra record", "config")
        record["overrides"] = [str(o) for o in overrides] if isinstance(overrides, list) else []
        hydra_cfg = load_yaml_checked(job_dir / ".hydra" / "hydra.yaml", "Hydra record", "config")
        hydra_cfg = hydra_cfg.get("hydra") if isinstance(hydra_cfg, dict) else None
        runtime = hydra_cfg.get("runtime") if isinstance(hydra_cfg, dict) else None
        choices = runtime.get("choices") if isinstance(runtime, dict) else None
        choices = choices if isinstance(choices, dict) else {}
        record["choices"] = {g: str(choices[g]) for g in GROUPS if choices.get(g) is not None}
    except FileProblem as exc:
        if exc.reason != "not found":
            raise
    return record
