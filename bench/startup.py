"""Start-up time and peak RSS of `coral-run` on its default, against its floors, in one run.

    python bench/startup.py [--repeat 10]

Wall time: coral-run ÷ (bare Hydra app composing the same conf/ and printing it + raw script that
imports the interpreter, loads the same self-test model and invokes it once); target <= 1.10.
Peak RSS: coral-run ÷ raw script; target <= 1.3. Commands alternate, medians are reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from childproc import measure

HERE = Path(__file__).resolve().parent


# Steady state of an installed package: byte-code caches written by the warm-up runs (a
# PYTHONDONTWRITEBYTECODE=1 shell would make every run compile our modules again).
ENV = {k: v for k, v in os.environ.items() if not k.startswith("CORAL_") and k != "PYTHONDONTWRITEBYTECODE"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    from coral_inference.backends.selftest import build_selftest_model

    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp, "selftest.tflite")
        model.write_bytes(build_selftest_model())
        commands = {
            "coral-run": [str(bindir / "coral-run")],
            "bare-hydra": [sys.executable, str(HERE / "bare_hydra_app.py")],
            "raw-script": [sys.executable, str(HERE / "raw_interpreter.py"), str(model)],
        }
        for cmd in commands.values():  # warm the file and byte-code caches
            measure(cmd, tmp, ENV)
        results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in commands}
        for _ in range(args.repeat):
            for name, cmd in commands.items():
                results[name].append(measure(cmd, tmp, ENV))
    wall = {k: statistics.median(w for w, _, _ in v) for k, v in results.items()}
    cpu = {k: statistics.median(c for _, _, c in v) for k, v in results.items()}
    print("load average (1/5/15 min) at the end: %.2f %.2f %.2f on %d CPUs" % (*os.getloadavg(), os.cpu_count()))
    rss = {k: statistics.median(r for _, r, _ in v) for k, v in results.items()}
    for name in commands:
        print(f"{name:11s} wall {wall[name]:.3f} s   CPU {cpu[name]:.3f} s   peak RSS {rss[name]:.1f} MiB   "
              f"(median of {args.repeat})")
    floor = wall["bare-hydra"] + wall["raw-script"]
    print(f"wall: coral-run / (bare-hydra + raw-script) = {wall['coral-run']:.3f} / {floor:.3f} = "
          f"{wall['coral-run'] / floor:.3f}  (target <= 1.10)")
    cpu_floor = cpu["bare-hydra"] + cpu["raw-script"]
    print(f"CPU time (less sensitive to other load): coral-run / (bare-hydra + raw-script) = "
          f"{cpu['coral-run']:.3f} / {cpu_floor:.3f} = {cpu['coral-run'] / cpu_floor:.3f}")
    print(f"peak RSS: coral-run / raw-script = {rss['coral-run']:.1f} / {rss['raw-script']:.1f} = "
          f"{rss['coral-run'] / rss['raw-script']:.3f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
