"""Start and stop `coral-run run.mode=serve` for the serve benchmarks (bench/serve_viewer.py,
bench/serve_api.py): a subprocess on a free loopback port; the URL is read from what it prints."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "helpers"))

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def coral_run() -> str:
    return str(Path(sys.executable).parent / "coral-run")


def start(run_dir: Path, overrides: list[str]) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORAL_")}
    proc = subprocess.Popen([coral_run(), "run.mode=serve", "services.web.port=0", f"hydra.run.dir={run_dir}",
                             *overrides], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "coral-run: serving http://" in line:
            return proc, line.split("serving ", 1)[1].split()[0]
    proc.wait()
    raise SystemExit(f"coral-run serve did not start (exit {proc.returncode})")


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    return proc.returncode


def get(url: str, path: str) -> dict:
    with urllib.request.urlopen(url.rstrip("/") + path, timeout=10) as resp:
        return json.loads(resp.read())


def frames(url: str, name: str) -> tuple[float, int]:
    return time.monotonic(), int(get(url, "/api/streams")["streams"][name]["frames"])
