"""Hydra callbacks for coral-run (listed under hydra.callbacks in conf/config.yaml)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

# Set at the end of a multirun: how many of the sweep's job summaries say `failed`.
SWEEP_STATE: dict[str, Any] = {"started": False, "failed": 0, "jobs": 0}


class SweepCallback(Callback):
    """After a multirun: write sweep_summary.{json,csv,md} and count failed jobs (coral-run then exits 1)."""

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        SWEEP_STATE["started"] = True

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        from ..sweep.report import write_reports

        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        report = write_reports(sweep_dir)
        SWEEP_STATE["jobs"] = report["jobs"]
        SWEEP_STATE["failed"] = report["failed"]
        print(f"coral-run: sweep report: {report['files']['md']} ({report['jobs']} job(s), "
              f"{report['failed']} failed)", file=sys.stderr)
