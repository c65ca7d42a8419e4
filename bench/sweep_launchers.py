"""An 8-job bench sweep: joblib launcher (2 workers) against the basic launcher, in one run.

    python bench/sweep_launchers.py [--repeat 3] [--seconds 1.0]

Each job is `coral-run run.mode=bench` on the CPU with the built-in model, timing inference for at
least --seconds (run.min_seconds), one interpreter thread. Reported: median wall time of the whole
`coral-run -m ...` per launcher and joblib ÷ basic (target <= 0.65).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


# Steady state of an installed package: byte-code caches written by the first runs (a
# PYTHONDONTWRITEBYTECODE=1 shell would make every process, each worker too, compile our modules).
ENV = {k: v for k, v in os.environ.items() if not k.startswith("CORAL_") and k != "PYTHONDONTWRITEBYTECODE"}


def sweep(launcher: str, seconds: float, cwd: str) -> float:
    cmd = [str(Path(sys.executable).parent / "coral-run"), "-m", f"hydra/launcher={launcher}",
           "backends=cpu", "backends.cpu.num_threads=1", "run.mode=bench", "run.iterations=1",
           f"run.min_seconds={seconds}", "run.warmup=1,2,3,4,5,6,7,8"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{launcher} sweep failed:\n{proc.stderr}")
    [report_path] = Path(cwd).rglob("sweep_summary.json")
    report = json.loads(report_path.read_text())
    assert report["jobs"] == 8 and report["failed"] == 0, report
    for job in report["rows"]:
        summary = json.loads((Path(job["dir"]) / "runtime_summary.json").read_text())
        assert summary["backends"][0]["benchmark"]["timed"]["seconds"] >= seconds
    return wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    walls: dict[str, list[float]] = {"basic": [], "joblib": []}
    for _ in range(args.repeat):
        for launcher in walls:
            with tempfile.TemporaryDirectory() as tmp:
                walls[launcher].append(sweep(launcher, args.seconds, tmp))
    median = {k: statistics.median(v) for k, v in walls.items()}
    print("load average (1/5/15 min) at the end: %.2f %.2f %.2f on %d CPUs" % (*os.getloadavg(), os.cpu_count()))
    for launcher, values in walls.items():
        print(f"{launcher:7s} 8 jobs x >= {args.seconds} s inference: median {median[launcher]:.2f} s "
              f"(runs: {', '.join(f'{v:.2f}' for v in values)})")
    print(f"joblib (n_jobs=2) / basic = {median['joblib']:.2f} / {median['basic']:.2f} = "
          f"{median['joblib'] / median['basic']:.3f}  (target <= 0.65)")


if __name__ == "__main__":
    main()
