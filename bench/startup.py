"""Start-up time and peak RSS of `coral-run` on its default against floors that import nothing of ours,
old and new trees in one run.

    python bench/startup.py [--repeat 15] [--tree old=/tmp/old-venv/bin/python --tree new=python] [--no-preload-too]

Floors (bench/hydra_floor.py, bench/raw_interpreter.py), run with this Python:
  * hydra-floor: a bare Hydra app composing the same conf/ YAML tree (a copy of the tree's conf/ without
    our schema node, plugin-defaults node and Hydra callbacks: bench/floor_conf.py) and printing it;
  * raw-script: imports the interpreter, loads the same self-test model from a file, invokes it once.
Wall time: coral-run ÷ (hydra-floor + raw-script), target <= 1.10. Peak RSS: coral-run ÷ raw-script,
target <= 1.3. Every round runs every command once, in turn (interleaved); medians are reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from childproc import measure_interleaved
from floor_conf import make_floor_conf, tree_conf

HERE = Path(__file__).resolve().parent

# Steady state of an installed package: byte-code caches written by the warm-up runs (a
# PYTHONDONTWRITEBYTECODE=1 shell would make every run compile our modules again).
ENV = {k: v for k, v in os.environ.items() if not k.startswith("CORAL_") and k != "PYTHONDONTWRITEBYTECODE"}


def trees(specs: list[str]) -> dict[str, str]:
    """name -> the Python of a venv with that tree installed (default: this one, as 'this')."""
    out = {}
    for spec in specs or [f"this={sys.executable}"]:
        name, _, python = spec.partition("=")
        out[name] = python
    return out


def imports_of_ours(cmd: list[str], cwd: str) -> list[str]:
    """Modules of coral_inference a command imports (the editable install's path finder aside)."""
    proc = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], cwd=cwd, env=ENV, capture_output=True, text=True)
    return [ln.rsplit("|", 1)[-1].strip() for ln in proc.stderr.splitlines()
            if "coral_inference" in ln and "__editable__" not in ln]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PYTHON",
                        help="a tree to measure: the Python of a venv where it is installed (repeatable)")
    parser.add_argument("--no-preload-too", action="store_true",
                        help="also run each tree's coral-run with CORAL_NO_PRELOAD=1 (the runner exec'd after composing)")
    args = parser.parse_args()
    from coral_inference.backends.selftest import build_selftest_model

    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp, "selftest.tflite")
        model.write_bytes(build_selftest_model())
        commands = {"raw-script": [sys.executable, str(HERE / "raw_interpreter.py"), str(model)]}
        for name, python in trees(args.tree).items():
            conf = make_floor_conf(tree_conf(python), Path(tmp, f"conf-{name}"))
            commands[f"{name}: coral-run"] = [str(Path(python).parent / "coral-run")]
            if args.no_preload_too:  # env(1) exec's it: ~1 ms more
                commands[f"{name}: no-preload"] = ["/usr/bin/env", "CORAL_NO_PRELOAD=1", str(Path(python).parent / "coral-run")]
            commands[f"{name}: hydra-floor"] = [sys.executable, str(HERE / "hydra_floor.py"), str(conf)]
            ours = imports_of_ours(commands[f"{name}: hydra-floor"], tmp)
            if ours:
                raise SystemExit(f"the floor imports our modules: {ours}")
        results = measure_interleaved(commands, tmp, ENV, args.repeat)
    print("load average (1/5/15 min) at the end: %.2f %.2f %.2f on %d CPUs" % (*os.getloadavg(), os.cpu_count()))
    wall = {k: statistics.median(w for w, _, _ in v) for k, v in results.items()}
    rss = {k: statistics.median(r for _, r, _ in v) for k, v in results.items()}
    cpu = {k: statistics.median(c for _, _, c in v) for k, v in results.items()}
    for name in commands:
        print(f"{name:20s} wall {wall[name]:.3f} s   CPU {cpu[name]:.3f} s   peak RSS {rss[name]:.1f} MiB   "
              f"(median of {args.repeat})")
    raw = "raw-script"
    runs = [(t, f"{t}: coral-run") for t in trees(args.tree)]
    runs += [(t, f"{t}: no-preload") for t in trees(args.tree)] if args.no_preload_too else []
    for tree, run in runs:
        floor = f"{tree}: hydra-floor"
        total = wall[floor] + wall[raw]
        print(f"[{run}] wall: coral-run / (hydra-floor + raw-script) = {wall[run]:.3f} / {total:.3f} = "
              f"{wall[run] / total:.3f}  (target <= 1.10)")
        cpu_total = cpu[floor] + cpu[raw]
        print(f"[{run}] CPU: coral-run / (hydra-floor + raw-script) = {cpu[run]:.3f} / {cpu_total:.3f} = "
              f"{cpu[run] / cpu_total:.3f}")
        print(f"[{run}] peak RSS: coral-run / raw-script = {rss[run]:.1f} / {rss[raw]:.1f} = "
              f"{rss[run] / rss[raw]:.3f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
