"""A sweep stops on a signal (issue 15): SIGTERM / SIGINT during ``coral-run -m`` => no new job
starts, the running job's summary says it was interrupted, the sweep report marks the jobs that did
not run, coral-run exits 143 / 130, and the launcher's worker processes (joblib's loky workers) are
gone when the driver exits.

How: while a sweep runs, the driver's SIGTERM / SIGINT handler forwards the signal to its child
processes (a worker's job writes its own `failed` summary), waits up to ``GRACE_S`` for them, kills
what is left, and raises ``SweepInterrupted`` (a KeyboardInterrupt: Hydra's launchers and joblib let
it through; a job running in this process catches it and records the interruption). coral-run then
writes the report with ``write_reports(..., expected=…)`` and exits 128 + the signal.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

GRACE_S = 5.0


class SweepInterrupted(KeyboardInterrupt):
    def __init__(self, signum: int):
        super().__init__(f"sweep interrupted by {signal.Signals(signum).name}")
        self.signum = signum
        self.exit_code = 128 + signum


def children(pid: int | None = None) -> list[int]:
    """Every descendant process of ``pid`` (this process), from /proc; [] where there is none."""
    pid = os.getpid() if pid is None else pid
    parents: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode("ascii", "replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def stop_children(signum: int, grace_s: float = GRACE_S) -> None:
    """Send ``signum`` to every child process, wait up to ``grace_s`` for them, then SIGKILL the rest."""
    kids = children()
    for pid in kids:
        try:
            os.kill(pid, signum)
        except OSError:
            pass
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(_alive(p) for p in kids):
        time.sleep(0.05)
    for pid in kids:
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    for pid in kids:
        _reap(pid)


def _alive(pid: int) -> bool:
    _reap(pid)
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except OSError:  # not our child (a grandchild) or already reaped
        pass


def install(state: dict[str, Any]) -> None:
    """SIGTERM and SIGINT stop the sweep (see the module docstring); ``state['interrupted']`` records
    the exit code."""

    def _stop(signum: int, frame: Any) -> None:
        if state.get("interrupted"):
            return  # already stopping
        state["interrupted"] = 128 + signum
        stop_children(signum)
        raise SweepInterrupted(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(signum, _stop)
        except ValueError:  # not the main thread
            pass
