"""Hydra callbacks for coral-run (listed under hydra.callbacks in conf/config.yaml)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

# Set at the end of a multirun: how many of the sweep's job summaries say `failed`.
SWEEP_STATE: dict[str, Any] = {"failed": 0, "jobs": 0}


def job_summaries(sweep_dir: Path, filename: str = "runtime_summary.json") -> list[tuple[Path, dict | None]]:
    """(job dir, summary or None when missing/unreadable), for each job folder of a sweep."""
    out = []
    for job_dir in sorted((p for p in Path(sweep_dir).iterdir() if p.is_dir() and not p.name.startswith(".")),
                          key=lambda p: (not p.name.isdigit(), int(p.name) if p.name.isdigit() else 0, p.name)):
        path = job_dir / filename
        try:
            out.append((job_dir, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            out.append((job_dir, None))
    return out


class SweepCallback(Callback):
    """After a multirun: count failed jobs (coral-run then exits 1)."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        jobs = job_summaries(sweep_dir)
        SWEEP_STATE["jobs"] = len(jobs)
        SWEEP_STATE["failed"] = sum(1 for _, s in jobs if s is None or s.get("status") == "failed")
