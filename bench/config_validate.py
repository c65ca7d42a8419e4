"""coral-runtime config validate vs a bare Hydra app composing the same conf/ (process start cost).

Both run as fresh processes, interleaved, N times each. Reported: the ratio of medians of wall
time and of CPU time (user+sys of the child, from getrusage: much less disturbed by other load on
the machine than wall time). Target: ratio <= 1.10. Usage: python bench/config_validate.py [N]
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The baseline: what any Hydra app must do to compose conf/ with the typed schema.
BARE_APP = """
from hydra import compose, initialize_config_module
from coral_inference.config.schema import register
register()
with initialize_config_module("coral_inference.conf", version_base="1.3"):
    cfg = compose("config", overrides=[])
print(cfg.platform.name)
"""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: str, env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``cmd``."""
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed: {proc.stderr}")
    return elapsed, _cpu() - cpu


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    tool = shutil.which("coral-runtime", path=str(Path(sys.executable).parent)) or "coral-runtime"
    # Steady state of an installed package: byte-code caches written by the warm-up runs (a
    # PYTHONDONTWRITEBYTECODE=1 shell would make every run compile our modules again).
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORAL_") and k != "PYTHONDONTWRITEBYTECODE"}
    cwd = tempfile.mkdtemp()
    ours, bare = [], []
    for _ in range(2):  # warm the file and byte-code caches
        timed([tool, "config", "validate"], cwd, env)
        timed([sys.executable, "-c", BARE_APP], cwd, env)
    for _ in range(n):
        ours.append(timed([tool, "config", "validate"], cwd, env))
        bare.append(timed([sys.executable, "-c", BARE_APP], cwd, env))
    for i, what in ((0, "wall"), (1, "CPU ")):
        mo, mb = statistics.median(t[i] for t in ours), statistics.median(t[i] for t in bare)
        print(f"{what}: coral-runtime config validate median {mo * 1000:.0f} ms, bare Hydra compose of conf/ "
              f"median {mb * 1000:.0f} ms, ratio {mo / mb:.3f} (target <= 1.10), n={n}")


if __name__ == "__main__":
    main()
