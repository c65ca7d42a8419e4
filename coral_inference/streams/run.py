"""run.mode=pipeline (registry kind "mode"): every enabled stream at once through the StreamManager,
until run.duration_s, run.max_frames (per stream), SIGTERM / Ctrl-C, or every finite source done.

Every stream failed: the run is `failed` with exit code 6 (errors.EXIT_STREAMS); the summary still
holds each stream's status and last error.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from ..errors import StreamsFailed


class _Signals:
    """SIGTERM sets ``reason`` (main thread only); Ctrl-C arrives as KeyboardInterrupt."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self._previous: Any = None

    def __enter__(self) -> "_Signals":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, lambda *_: setattr(self, "reason", "SIGTERM"))
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def run(context: Any, on_result: Any = None) -> dict[str, Any]:
    """``on_result(stream_name, result, frame)``: called for every result (StreamManager.subscribe)."""
    from .manager import StreamManager

    manager = StreamManager(context)
    if on_result is not None:
        manager.subscribe(on_result)
    context.services["streams"] = manager
    duration = context.config.run.duration_s
    stopped_by = "every source ended"
    with _Signals() as signals:
        manager.start()
        try:
            ended = manager.wait(stop=lambda: signals.reason is not None,
                                 timeout=duration)
            if not ended:
                stopped_by = signals.reason or "run.duration_s"
        except KeyboardInterrupt:
            stopped_by = "SIGINT"
        finally:
            manager.stop(reason=stopped_by if stopped_by != "every source ended" else "stopped")
    context.services.pop("streams", None)
    result = {**manager.summary(), "stopped_by": stopped_by}
    frames = result["totals"]["frames"]
    context.note("pipeline", f"{len(manager.streams)} stream(s), {frames} frames in {result['duration_s']}s, "
                             f"stopped by {stopped_by}")
    states = [s["status"] for s in result["streams"].values() if s["status"] != "disabled"]
    if states and all(s == "failed" for s in states):
        context.results["pipeline"] = result
        errors = "; ".join(f"{n}: {s.get('last_error')}" for n, s in result["streams"].items() if s["status"] == "failed")
        error = StreamsFailed(f"every stream failed: {errors}")
        error.context = context  # type: ignore[attr-defined]
        raise error
    return result
