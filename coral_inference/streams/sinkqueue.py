"""A stream's sink thread: every sink of the stream gets each result with its frame, in order, off the
worker thread, through the stream's kind of buffer (streams/buffers.py): a live stream's keeps the
newest results (a replaced one counts in ``sink_dropped``), so a slow sink never slows capture or
inference; a file's waits for its sinks (nothing dropped unless the stream is stopping). Each sink's
``written`` and ``failed`` counts and first error are in ``counts()`` (the run status, the summary's
``sink_writes``, /metrics); one sink raising is logged once, then counted, and the other sinks go on."""

from __future__ import annotations

import logging
import threading
from typing import Any, Optional

from .buffers import END, for_source

CAPACITY = 32  # results waiting for the sinks
log = logging.getLogger(__name__)


class SinkQueue:
    def __init__(self, name: str, sinks: dict[str, Any], live: bool, stats: Any, capacity: int = CAPACITY,
                 problems: Optional[dict] = None):
        self.name = name
        self.sinks = sinks
        self.stats = stats
        self._counts = {label: {"written": 0, "failed": 0, "error": None} for label in sinks}
        self._lock = threading.Lock()
        self._buffer = for_source(live)(capacity)
        self._thread: Optional[threading.Thread] = None
        self.problems = problems  # the run's problems (RuntimeContext.problems): a failing sink degrades the run

    def start(self) -> None:
        """Start the sink thread (once; a stream started again keeps it)."""
        if self._thread is None and self.sinks:
            self._thread = threading.Thread(target=self._loop, name=f"stream-{self.name}-sinks", daemon=True)
            self._thread.start()

    def put(self, result: dict, frame: Any, until: threading.Event) -> None:
        if not self.sinks:
            return
        dropped = self._buffer.put((result, frame), until=until)
        if dropped:
            self.stats.add("sink_dropped", dropped)

    def failed(self, label: str, exc: BaseException) -> None:
        """A failure of ``label`` (a sink, or ``preview`` for a subscriber): the first one logged, each counted."""
        from ..redaction import redact_text

        render = getattr(exc, "render", None)  # a CoralError (FileProblem) says it best itself
        message = redact_text(f"{type(exc).__name__}: {render() if callable(render) else exc}")
        with self._lock:
            count = self._counts.setdefault(label, {"written": 0, "failed": 0, "error": None})
            count["failed"] += 1
            first, count["error"] = count["error"] is None, count["error"] or message
        if first:
            log.warning("stream %s: sink %s failed (logged once, then counted): %s", self.name, label, message)
            if self.problems is not None and label != "preview":  # the run is degraded, with this reason
                self.problems.setdefault(f"streams.{self.name}.sinks.{label}", message)

    def counts(self) -> dict[str, dict[str, Any]]:
        """sink -> {written, failed, error (the first)}: a copy, safe to read while the stream runs."""
        with self._lock:
            return {label: dict(count) for label, count in self._counts.items()}

    def close(self, timeout: float = 5.0) -> dict[str, Any]:
        """Let the sinks take what is queued, close each one; their reports (a sink whose close raised:
        ``{"error": …}``)."""
        from .. import shutdown

        self._buffer.close()
        if self._thread is not None:
            shutdown.join(self._thread, timeout)  # a stuck sink is left behind at the deadline
            self._thread = None
        reports = {}
        for label, sink in self.sinks.items():
            try:
                reports[label] = sink.close()
            except Exception as exc:
                reports[label] = {"error": f"{type(exc).__name__}: {exc}"}
        return reports

    def _loop(self) -> None:
        while True:
            item = self._buffer.get()
            if item is END:
                return
            result, frame = item
            for label, sink in self.sinks.items():
                try:
                    sink.write(result, frame)
                except Exception as exc:  # one sink's failure: logged once, counted; the others go on
                    self.failed(label, exc)
                    continue
                with self._lock:
                    self._counts[label]["written"] += 1
