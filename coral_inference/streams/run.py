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
        from .. import shutdown

        if self._previous is not None and not shutdown.begun():
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
            from .. import shutdown

            # one deadline for every wait from here; a second signal only shortens it (shutdown.py)
            shutdown.guard(previous={signal.SIGTERM: signals._previous} if signals._previous is not None else None)
            manager.stop(reason=stopped_by if stopped_by != "every source ended" else "stopped")
    context.services.pop("streams", None)
    result = {**manager.summary(), "stopped_by": stopped_by}
    frames = result["totals"]["frames"]
    context.note("pipeline", f"{len(manager.streams)} stream(s), {frames} frames in {result['duration_s']}s, "
                             f"stopped by {stopped_by}")
    verdict(context, result, "pipeline")
    return result


def verdict(context: Any, result: dict[str, Any], mode: str) -> None:
    """The run's truth from its streams (pipeline and serve): every enabled stream failed -> StreamsFailed
    (exit 6, the summary still written, ``results.<mode>`` kept); some failed or degraded -> the run is
    degraded, each stream named with why (``context.problems["streams.<name>"]``: the summary's problems and
    status_reasons)."""
    streams = {n: s for n, s in result["streams"].items() if s.get("status") != "disabled"}
    failed = {n: s for n, s in streams.items() if s.get("status") == "failed"}
    if streams and len(failed) == len(streams):
        context.results[mode] = result
        errors = "; ".join(f"{n}: {s.get('last_error')}" for n, s in failed.items())
        error = StreamsFailed(f"every stream failed: {errors}")
        error.context = context  # type: ignore[attr-defined]
        raise error
    for name, s in streams.items():
        if name in failed:
            context.problems[f"streams.{name}"] = f"failed: {s.get('last_error')}"
        elif s.get("health") == "degraded":
            context.problems[f"streams.{name}"] = f"degraded: {'; '.join(s.get('reasons') or [])}"
