"""What plugin discovery costs coral-run at start-up, in one run.

    python bench/plugins_startup.py [--repeat 10]

Commands alternate; medians of wall and CPU (user+sys) time are reported. Baseline: `coral-run plugins=none` (no entry point
group scanned for plugins, no plugin imported; the config search-path scan still runs). Compared with it:
`coral-run` (plugins=auto) with no plugin installed, and with examples/coral-plugin-example installed
(pip --target into a temp folder on PYTHONPATH): three plugins discovered, checked and activated, their
defaults layer applied. Target: auto without plugins / baseline <= 1.03 (CPU time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from childproc import measure

REPO = Path(__file__).resolve().parents[1]


def wall_and_cpu(cmd: list[str], cwd: str, env: dict) -> tuple[float, float]:
    wall, _rss, cpu = measure(cmd, cwd, env)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    coral_run = str(Path(sys.executable).parent / "coral-run")
    # PYTHONDONTWRITEBYTECODE dropped: the warm-up runs write byte-code caches (an installed package's steady state)
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith("CORAL_") and k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp, "site")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        "--no-index", "--target", str(site), str(REPO / "examples" / "coral-plugin-example")],
                       check=True)
        with_plugin = {**base_env, "PYTHONPATH": str(site)}
        runs = {
            "plugins=none (baseline)": ([coral_run, "backends=cpu", "plugins=none"], base_env),
            "plugins=auto, none installed": ([coral_run, "backends=cpu"], base_env),
            "plugins=auto, example installed": ([coral_run, "backends=cpu"], with_plugin),
        }
        for cmd, env in runs.values():  # warm the file and byte-code caches
            wall_and_cpu(cmd, tmp, env)
        results: dict[str, list[tuple[float, float]]] = {k: [] for k in runs}
        for _ in range(args.repeat):
            for name, (cmd, env) in runs.items():
                results[name].append(wall_and_cpu(cmd, tmp, env))
    wall = {k: statistics.median(w for w, _ in v) for k, v in results.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in results.items()}
    base_wall, base_cpu = wall["plugins=none (baseline)"], cpu["plugins=none (baseline)"]
    for name in runs:
        print(f"{name:34s} wall {wall[name]:.3f} s (x{wall[name] / base_wall:.3f})   "
              f"cpu {cpu[name]:.3f} s (x{cpu[name] / base_cpu:.3f})   median of {args.repeat}")
    print(f"target: 'plugins=auto, none installed' / baseline, CPU time, <= 1.03 -> "
          f"{cpu['plugins=auto, none installed'] / base_cpu:.3f}")


if __name__ == "__main__":
    main()
