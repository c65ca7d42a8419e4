"""One deadline for the whole shutdown of a run (ground: imports nothing of the package).

A run's shutdown begins when its run mode stops (SIGTERM, Ctrl-C, run.duration_s, every source ended)
or when a signal ends it earlier (during init). From then on every wait — a stream's threads, its sink
queue, a silent InfluxDB, a delivery service, the web service and its WebRTC peers — takes at most what
is left of ``SHUTDOWN_S`` (``remaining(cap)``), so the whole shutdown takes at most ``SHUTDOWN_S``
seconds plus the summary. A second SIGTERM or SIGINT during shutdown only shortens what is left to
``HURRY_S`` (``guard()`` installs handlers that do nothing else): no exception, no traceback, the
summary is still written. What did not finish in time is counted where it was cut (points still in
the metrics buffer count as dropped; a sink queue's items as not written).
"""

from __future__ import annotations

import threading
import time
from typing import Any

SHUTDOWN_S = 10.0  # seconds every shutdown wait together takes at most (docs/configuration.md: Signals)
HURRY_S = 1.0  # what is left after a second signal

_lock = threading.Lock()
_state: dict[str, Any] = {"deadline": None, "hurried": False, "previous": None}


def begin(total: float = SHUTDOWN_S) -> None:
    """The shutdown starts now (a second call keeps the first deadline)."""
    with _lock:
        if _state["deadline"] is None:
            _state["deadline"] = time.monotonic() + total


def begun() -> bool:
    return _state["deadline"] is not None


def hurry(*_: Any) -> None:
    """A second signal: what is left of the deadline becomes at most HURRY_S."""
    begin()
    with _lock:
        _state["deadline"] = min(_state["deadline"], time.monotonic() + HURRY_S)
        _state["hurried"] = True


def hurried() -> bool:
    return bool(_state["hurried"])


def remaining(cap: float | None) -> float:
    """How long a wait of at most ``cap`` seconds may take now (``cap`` itself before the shutdown
    began; None: no cap of its own, only the deadline's)."""
    deadline = _state["deadline"]
    if deadline is None:
        return cap if cap is not None else SHUTDOWN_S
    left = max(0.0, deadline - time.monotonic())
    return left if cap is None else max(0.0, min(cap, left))


def wait(done: Any, cap: float, step: float = 0.1) -> bool:
    """Wait until ``done(t)`` (which blocks at most ``t`` seconds) says True, for at most ``cap``
    seconds and never past the deadline; re-checked every ``step``, so a second signal shortens a wait
    already under way. Returns whether it finished."""
    end = time.monotonic() + max(0.0, cap)
    while True:
        left = remaining(end - time.monotonic())
        if done(min(step, left)):
            return True
        if left <= 0:
            return False


def join(thread: Any, cap: float) -> bool:
    """``thread.join`` within ``wait``'s bounds; whether it ended."""
    if thread is None:
        return True

    def ended(t: float) -> bool:
        thread.join(t)
        return not thread.is_alive()

    return wait(ended, cap)


def guard(previous: dict | None = None) -> None:
    """From now on SIGTERM and SIGINT only hurry the shutdown (main thread only). The handlers in place
    before the first guard (or ``previous``: what a run mode's own handlers replaced) come back at
    ``release``."""
    import signal

    begin()
    if threading.current_thread() is not threading.main_thread():
        return
    replaced = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            replaced[sig] = signal.signal(sig, hurry)
        except ValueError:  # pragma: no cover - not the main thread after all
            return
    with _lock:
        if _state["previous"] is None:
            _state["previous"] = {**replaced, **(previous or {})}


def release() -> None:
    """The shutdown is over (the summary is written): the handlers from before ``guard`` come back and
    the next run (a sweep's next job in this process) starts with no deadline."""
    import signal

    with _lock:
        previous, _state["previous"] = _state["previous"], None
        _state["deadline"], _state["hurried"] = None, False
    if previous and threading.current_thread() is threading.main_thread():
        for sig, handler in previous.items():
            try:
                signal.signal(sig, handler)
            except (ValueError, TypeError):  # pragma: no cover
                pass
