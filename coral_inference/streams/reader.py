"""A stream's reader thread: opens the source, reads frames into the stream's frame buffer
(streams/buffers.py), and, for a live source that is down at start or lost later, reconnects with
capped backoff (``streams.<name>.reconnect``: ``backoff_s`` doubling up to ``backoff_max_s``, at most
``max_attempts`` attempts in a row, null: forever). A file or folder that cannot be opened fails its
stream; its end ends the stream."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional


class SourceLost(RuntimeError):
    """A live source is gone and every reconnect attempt allowed failed (the stream fails)."""


@dataclass
class Reader:
    """Reads ``source`` into a frame buffer as ``(frame, inputs, arrived, index)``. ``prepare(frame)`` (or None)
    converts a frame to the model's inputs before it is queued; ``gate(frame, t)`` (or None) says whether it is
    queued at all; ``report(status, error)`` tells the stream it is reconnecting and why."""

    source: Any
    live: bool
    reconnect: Any  # the stream's ReconnectConfig
    stats: Any
    stop: threading.Event
    running: threading.Event  # cleared while the stream is paused
    report: Callable[[Optional[str], Optional[str]], None]
    prepare: Optional[Callable[[Any], Any]] = None
    gate: Optional[Callable[[Any, float], bool]] = None  # motion gating (streams/motion.py): False drops the frame
    fps: Optional[float] = None  # the source's rate once opened
    read: int = 0  # frames read so far (a frame's index in the source; a file's clock for the motion gate)

    def run(self, frames: Any) -> None:
        """Until stopped, the end of a file or folder, or the reconnect attempts used up; closes
        ``frames`` at the end, whatever happened."""
        try:
            while not self.stop.is_set() and self._open():
                self._read_all(frames)
                if self.stop.is_set() or not self.live:  # stopped, or the end of a file or folder
                    break
                self.source.close()
                self.report("reconnecting", f"lost the live source {self.source.text!r}")
        finally:
            self.stats.add("unreadable", getattr(self.source, "unreadable", 0))
            self.source.close()
            frames.close()

    def _read_all(self, frames: Any) -> None:
        while not self.stop.is_set():
            frame = self.source.read()
            now = time.monotonic()
            if frame is None:
                return
            self.stats.arrived(now)
            index, self.read = self.read, self.read + 1
            if self.gate is not None and not self.gate(frame, now if self.live else index / (self.fps or 1.0)):
                continue  # nothing moved: not converted, not inferred (counted in gated)
            inputs = self.prepare(frame) if self.prepare is not None else None
            dropped = frames.put((frame, inputs, now, index), until=self.stop)
            if dropped and self.running.is_set() and not self.stop.is_set():  # paused or stopping: not a drop
                self.stats.add("dropped", dropped)

    def _open(self) -> bool:
        """Open the source; a live one retries with backoff. False: stop asked."""
        from .sources import SourceError

        rc = self.reconnect
        wait, attempts, error = rc.backoff_s, 0, None
        while not self.stop.is_set():
            try:
                self.source.open()
                self.fps = self.source.fps
                if attempts:
                    self.stats.add("reconnects")
                return True
            except SourceError as exc:
                if not self.live:
                    raise
                error = str(exc)
            attempts += 1
            self.stats.add("reconnect_attempts")
            if rc.max_attempts is not None and attempts > rc.max_attempts:
                raise SourceLost(f"source lost; {rc.max_attempts} reconnect attempt(s) failed: {error}")
            self.report("reconnecting", error)
            if self.stop.wait(wait):
                return False
            wait = min(wait * 2, rc.backoff_max_s)
        return False
