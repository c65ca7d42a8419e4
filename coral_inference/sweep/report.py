"""The sweep report: sweep_summary.json, .csv and .md in a multirun's sweep directory.

One row per job folder (``0``, ``1``, ...): its overrides, group choices, status, error and the
headline bench figures of its first benchmarked backend. A job folder without a readable
runtime_summary.json (the job crashed or was killed before writing it) is a ``failed`` row whose
overrides and choices come from Hydra's own ``.hydra/`` record. Files are written atomically.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from ..config.schema import GROUPS
from ..summary import now_iso, write_json_atomic, write_text_atomic

SUMMARY_FILE = "runtime_summary.json"
REPORT_STEM = "sweep_summary"
BENCH_COLUMNS = ("throughput_ips", "avg_ms", "p50_ms", "p90_ms", "p99_ms", "init_ms", "first_inference_ms",
                 "peak_rss_mb")
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
    """(job dir, summary or None when missing/unreadable), for each job folder of a sweep."""
    out = []
    for job_dir in job_dirs(sweep_dir):
        try:
            out.append((job_dir, json.loads((job_dir / filename).read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            out.append((job_dir, None))
    return out


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
    row.update({k: timed.get(k) for k in ("throughput_ips", "avg_ms", "p50_ms", "p90_ms", "p99_ms")})
    timings = headline.get("timings_ms") or {}
    row["init_ms"] = bench.get("init_ms", timings.get("init"))
    row["first_inference_ms"] = bench.get("first_inference_ms", timings.get("first_inference"))
    row["peak_rss_mb"] = bench.get("peak_rss_mb")
    return row


def build_report(sweep_dir: Path) -> dict[str, Any]:
    sweep_dir = Path(sweep_dir).resolve()
    rows = [job_row(d, s) for d, s in job_summaries(sweep_dir)]
    return {
        "sweep_dir": str(sweep_dir),
        "generated_at": now_iso(),
        "jobs": len(rows),
        "failed": sum(1 for r in rows if r["status"] == "failed"),
        "rows": rows,
    }


def write_reports(sweep_dir: Path) -> dict[str, Any]:
    """Build the report from the job folders and write the three files; returns the report."""
    sweep_dir = Path(sweep_dir)
    report = build_report(sweep_dir)
    paths = {ext: sweep_dir / f"{REPORT_STEM}.{ext}" for ext in ("json", "csv", "md")}
    report["files"] = {ext: str(p) for ext, p in paths.items()}
    write_json_atomic(paths["json"], report)
    write_text_atomic(paths["csv"], to_csv(report["rows"]))
    write_text_atomic(paths["md"], to_markdown(report))
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
             f"{report['jobs']} job(s), {report['failed']} failed; generated {report['generated_at']}.", "",
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
    import yaml  # PyYAML: a dependency of OmegaConf

    record: dict[str, Any] = {"overrides": [], "choices": {}}
    try:
        record["overrides"] = list(yaml.safe_load((job_dir / ".hydra" / "overrides.yaml").read_text()) or [])
        hydra_cfg = yaml.safe_load((job_dir / ".hydra" / "hydra.yaml").read_text()) or {}
        choices = ((hydra_cfg.get("hydra") or {}).get("runtime") or {}).get("choices") or {}
        record["choices"] = {g: choices[g] for g in GROUPS if choices.get(g) is not None}
    except (OSError, ValueError, yaml.YAMLError):
        pass
    return record
