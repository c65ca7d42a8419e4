"""A stream's sink thread: every sink of the stream gets each result with its frame, in order, off the
worker thread, through the stream's kind of buffer (streams/buffers.py): a live stream's keeps the
newest results (a replaced one counts in ``sink_dropped``), so a slow sink never slows capture or
inference; a file's waits for its sinks (nothing dropped unless the stream is stopping). One sink
raising is recorded under its name (``errors``); the other sinks go on."""

from __future__ import annotations

import threading
from typing import Any, Optional

from .buffers import END, for_source

CAPACITY = 32  # results waiting for the sinks


class SinkQueue:
    def __init__(self, name: str, sinks: dict[str, Any], live: bool, stats: Any, capacity: int = CAPACITY):
        self.name = name
        self.sinks = sinks
        self.stats = stats
        self.errors: dict[str, str] = {}
        self._buffer = for_source(live)(capacity)
        self._thread: Optional[threading.Thread] = None

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

    def close(self, timeout: float = 5.0) -> dict[str, Any]:
        """Let the sinks take what is queued, close each one; their reports (and ``errors``)."""
        self._buffer.close()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        reports = {}
        for label, sink in self.sinks.items():
            try:
                reports[label] = sink.close()
            except Exception as exc:
                reports[label] = {"error": f"{type(exc).__name__}: {exc}"}
        if self.errors:
            reports["errors"] = dict(self.errors)
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
                except Exception as exc:  # one sink's failure: recorded, the others go on
                    self.errors[label] = f"{type(exc).__name__}: {exc}"
