"""Hydra callbacks for coral-run (listed under hydra.callbacks in conf/config.yaml)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

# The sweep of this process: its folder and every job's overrides (at the start), whether a signal
# stopped it (its exit code), and at the end how many of the job summaries say `failed`.
SWEEP_STATE: dict[str, Any] = {"started": False, "failed": 0, "jobs": 0, "interrupted": None,
                               "sweep_dir": None, "expected": None}


def expected_jobs(config: Any) -> list[list[str]] | None:
    """Every job's overrides, in job order, as Hydra's basic sweeper expands the command line
    (None when the sweeper is another one or the overrides do not parse)."""
    try:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        from ..config.hydra_internal import get

        BasicSweeper = get("hydra._internal.core_plugins.basic_sweeper:BasicSweeper")

        if "BasicSweeper" not in str(config.hydra.sweeper.get("_target_", "")):
            return None
        parsed = OverridesParser.create().parse_overrides(list(config.hydra.overrides.task))
        return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
    except Exception:  # an estimate for the report: the sweep itself reports real errors
        return None


def finish_interrupted_sweep(exit_code: int) -> None:
    """A signal stopped the sweep: the report marks the jobs that did not run."""
    import signal

    from ..sweep.report import write_reports

    SWEEP_STATE["interrupted"] = exit_code
    sweep_dir = SWEEP_STATE.get("sweep_dir")
    name = signal.Signals(exit_code - 128).name if exit_code > 128 else "a signal"
    if not sweep_dir or not Path(sweep_dir).is_dir():
        print(f"coral-run: sweep stopped by {name}", file=sys.stderr)
        return
    report = write_reports(Path(sweep_dir), SWEEP_STATE.get("expected"), interrupted=name)
    print(f"coral-run: sweep stopped by {name}: report {report['files']['md']} ({report['jobs']} job(s), "
          f"{report['failed']} failed, {report['not_run']} not run)", file=sys.stderr)


class SweepCallback(Callback):
    """Around a multirun: a signal stops the sweep (cli/sweep_signals.py); at the end write
    sweep_summary.{json,csv,md} and count failed jobs (coral-run then exits 1)."""

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        from .sweep_signals import install

        SWEEP_STATE["started"] = True
        SWEEP_STATE["sweep_dir"] = str(config.hydra.sweep.dir)
        SWEEP_STATE["expected"] = expected_jobs(config)
        install(SWEEP_STATE)

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
