"""The newest annotated preview frame of every stream, made only while someone watches.

``on_result`` is the stream manager's subscriber (called on the stream's thread for every result):
it keeps a copy of at most ``max_fps`` frames a second (the newest replaces the last: frames are
dropped, never queued), so that a new viewer, or one of a paused or finished stream, sees the last
frame at once. Drawing, resizing and JPEG encoding happen only for a viewer: once per kept frame, on
demand, off the stream's thread, shared by every viewer of the stream.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable


class PreviewHub:
    def __init__(self, names: list[str], width: int, max_fps: float, draw: Callable[[Any, dict], Any]):
        self.width = int(width)
        self.interval = 1.0 / float(max_fps)
        self._draw = draw
        self._lock = threading.Lock()
        self._viewers = {name: 0 for name in names}
        self._last = {name: 0.0 for name in names}
        self._raw: dict[str, tuple[int, dict, Any]] = {}  # name -> (seq, result, frame copy)
        self._seq = {name: 0 for name in names}
        self._made: dict[str, tuple[int, Any]] = {}  # name -> (seq, preview BGR)
        self._jpeg: dict[str, tuple[int, bytes]] = {}
        self._events: dict[str, asyncio.Event] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.frames_kept = 0  # frames copied (at most max_fps a second per stream)
        self.frames_made = 0  # previews drawn and resized (only for viewers)

    @property
    def names(self) -> list[str]:
        return list(self._viewers)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._events = {name: asyncio.Event() for name in self._viewers}

    # viewers -------------------------------------------------------------------------------------
    def watch(self, name: str, delta: int) -> None:
        with self._lock:
            self._viewers[name] = max(0, self._viewers[name] + delta)

    def viewers(self, name: str | None = None) -> int:
        with self._lock:
            return sum(self._viewers.values()) if name is None else self._viewers.get(name, 0)

    # the stream's side -----------------------------------------------------------------------------
    def on_result(self, name: str, result: dict, frame: Any) -> None:
        if frame is None or name not in self._seq:
            return
        now = time.monotonic()
        if now - self._last[name] < self.interval:
            return
        self._last[name] = now
        copy = frame.copy()  # the manager may reuse its buffer; one copy per kept frame
        with self._lock:
            self._seq[name] += 1
            self._raw[name] = (self._seq[name], result, copy)
            self.frames_kept += 1
        loop = self._loop
        if self._viewers.get(name) and loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake, name)
            except RuntimeError:  # the loop closed meanwhile: nobody waits
                pass

    def _wake(self, name: str) -> None:
        event = self._events[name]
        self._events[name] = asyncio.Event()
        event.set()

    # the viewers' side -----------------------------------------------------------------------------
    def seq(self, name: str) -> int:
        with self._lock:
            return self._seq[name]

    async def wait_newer(self, name: str, seq: int, timeout: float) -> int:
        """The newest frame's number once it is above ``seq`` (or the current one after ``timeout``)."""
        event = self._events[name]
        current = self.seq(name)
        if current > seq:
            return current
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        return self.seq(name)

    def image(self, name: str) -> tuple[int, Any]:
        """(seq, annotated BGR frame resized to the preview width); (0, None) before any frame."""
        with self._lock:
            raw = self._raw.get(name)
            made = self._made.get(name)
        if raw is None:
            return 0, None
        if made is not None and made[0] == raw[0]:
            return made
        seq, result, frame = raw
        image = resize(self._draw(frame, result), self.width)
        with self._lock:
            self.frames_made += 1
            if self._made.get(name, (0,))[0] < seq:
                self._made[name] = (seq, image)
        return seq, image

    def jpeg(self, name: str, quality: int = 80) -> tuple[int, bytes | None]:
        seq, image = self.image(name)
        if image is None:
            return 0, None
        with self._lock:
            cached = self._jpeg.get(name)
        if cached is not None and cached[0] == seq:
            return cached
        import cv2

        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            return seq, None
        with self._lock:
            self._jpeg[name] = (seq, data.tobytes())
        return seq, data.tobytes()


def resize(image: Any, width: int) -> Any:
    """``image`` scaled to ``width`` (never up), both sides even (what video encoders need)."""
    import cv2

    h, w = image.shape[:2]
    if w > width:
        h, w = max(2, round(h * width / w)), width
    w, h = w - w % 2, h - h % 2
    if (h, w) == image.shape[:2]:
        return image
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
