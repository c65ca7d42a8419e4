"""Shared by the start-up benchmarks: time one child process."""

from __future__ import annotations

import os
import subprocess
import time


def measure(cmd: list[str], cwd: str, env: dict) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MiB, CPU seconds user+sys) of one run of ``cmd``; CPU time is far
    less sensitive to other load than wall time."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def measure_interleaved(commands: dict[str, list[str]], cwd: str, env: dict, repeat: int,
                        warm: int = 1) -> dict[str, list[tuple[float, float, float]]]:
    """``warm`` unmeasured rounds (file and byte-code caches), then ``repeat`` rounds, every command once
    per round in turn (so a change of machine load touches all of them alike): name -> measurements."""
    for _ in range(warm):
        for cmd in commands.values():
            measure(cmd, cwd, env)
    results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in commands}
    for _ in range(repeat):
        for name, cmd in commands.items():
            results[name].append(measure(cmd, cwd, env))
    return results
