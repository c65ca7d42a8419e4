"""H.264 packets into MP4 files with PyAV: rotating segments, and event clips from a ring of recent packets.

``Segments.add(packet, template)`` takes the packets of one video stream in order, either copied from
the camera (services/copy.py) or made by the encoder (services/recording.py); ``template(container)``
adds the matching stream to a new file. A segment starts on a
keyframe; the next keyframe once ``segment_s`` has passed, in the packets' own time, starts the next
one. Each file is a fragmented MP4 (``frag_keyframe+empty_moov``: the header first, a fragment per
keyframe), so a browser plays and seeks it, a segment being written can already be read, and a file
cut short by a crash keeps every fragment before it. Timestamps are the packets' own, counted from the
segment's first packet; a jump back or a gap of more than ``GAP_S`` (a reconnected camera) closes the
segment and the next keyframe starts a new one.

``Clips`` keeps the packets of the last ``pre_s`` (from the keyframe before them) and writes, per
request, a clip from ``pre_s`` before to ``post_s`` after the request, on the thread that adds the
packets. Wall-clock times of packets are the camera's times plus the smallest lag seen (a burst of
old frames on connect arrives late; steady frames show the real lag).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Optional

MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"
GAP_S = 10.0


class Mp4File:
    """One MP4 file this product created (retention.Store.create), packets muxed with rebased times."""

    def __init__(self, store: Any, kind: str, stem: str, template: Any):
        import av

        self.store = store
        self.path, self._handle = store.create(kind, stem)
        try:
            self._out = av.open(self._handle, "w", format="mp4", options={"movflags": MOVFLAGS})
            self._stream = template(self._out)
        except Exception:
            self._handle.close()
            raise
        self.base: Optional[int] = None  # dts of the first packet, in the input time base
        self.frames = 0
        self.first_t: Optional[float] = None
        self.last_t: Optional[float] = None

    def mux(self, packet: Any, pts: int, dts: int, time_base: Fraction) -> None:
        if self.base is None:
            self.base = dts
        packet.pts, packet.dts, packet.time_base = pts - self.base, dts - self.base, time_base
        packet.stream = self._stream
        self._out.mux(packet)
        self.frames += 1
        t = float(pts * time_base)
        self.first_t = t if self.first_t is None else min(self.first_t, t)
        self.last_t = t if self.last_t is None else max(self.last_t, t)

    def close(self) -> dict[str, Any]:
        try:
            self._out.close()
        finally:
            self._handle.close()
        seconds = round(self.last_t - self.first_t, 3) if self.frames > 1 else 0.0
        facts = {"frames": self.frames, "seconds": seconds}
        self.store.finished(self.path, **facts)
        return {"file": str(self.path), **facts}


class Segments:
    def __init__(self, store: Any, segment_s: float, clips: Optional["Clips"] = None):
        self.store = store
        self.segment_s = float(segment_s)
        self.clips = clips
        self.current: Optional[Mp4File] = None
        self.start_t = 0.0
        self.last_t: Optional[float] = None
        self.written: list[dict[str, Any]] = []  # closed segments: file, frames, seconds
        self.packets = 0
        self.waiting = 0  # packets before the first keyframe of a segment (not written)

    def add(self, packet: Any, template: Any) -> None:
        pts, dts = packet.pts, packet.dts
        if pts is None and dts is None:
            return
        pts = dts if pts is None else pts
        dts = pts if dts is None else dts
        time_base = packet.time_base
        t = float(dts * time_base)
        key = bool(packet.is_keyframe)
        if self.last_t is not None and (t < self.last_t or t - self.last_t > GAP_S):
            self.cut()  # the camera's clock started again
        if self.current is not None and key and t - self.start_t >= self.segment_s - 1e-6:
            self.cut()
        if self.current is None:
            if not key:
                self.waiting += 1
                if self.clips is not None:
                    self.clips.add(packet, pts, dts, time_base, key, template)
                return
            self.current = Mp4File(self.store, "segment", "segment_", template)
            self.start_t = t
        self.current.mux(packet, pts, dts, time_base)
        self.last_t = t
        self.packets += 1
        if self.clips is not None:
            self.clips.add(packet, pts, dts, time_base, key, template)

    def cut(self) -> None:
        if self.current is not None:
            current, self.current = self.current, None
            self.written.append(current.close())
        self.last_t = None

    def close(self) -> None:
        self.cut()
        if self.clips is not None:
            self.clips.close()

    @property
    def frames_in_open(self) -> int:
        return self.current.frames if self.current is not None else 0


class Clips:
    """Event clips: ``request()`` (any thread) names the clip file at once; the packet thread writes it."""

    def __init__(self, store: Any, pre_s: float, post_s: float, relative_to: Path,
                 on_error: Callable[[BaseException], None] = lambda exc: None):
        self.store = store
        self.pre_s, self.post_s = float(pre_s), float(post_s)
        self.relative_to = Path(relative_to)
        self.on_error = on_error
        self._ring: deque = deque()  # (wall, pts, dts, time_base, key, packet)
        self._offset: Optional[float] = None  # wall - camera time (the smallest seen)
        self._lock = threading.Lock()
        self._requests: list[dict[str, Any]] = []
        self._active: list[dict[str, Any]] = []
        self.written: list[dict[str, Any]] = []
        self.requested = 0
        self.failed = 0
        self._template: Any = None

    def request(self, at: Optional[float] = None) -> Optional[str]:
        """A clip around ``at`` (time.monotonic(); default now): the clip's path relative to the run
        folder, written as the video arrives, complete once ``post_s`` of it has (None: no file could be made)."""
        at = time.monotonic() if at is None else at
        with self._lock:
            try:
                path, handle = self.store.create("clip", "clip_")
            except Exception as exc:
                self.failed += 1
                self.on_error(exc)
                return None
            self.requested += 1
            self._requests.append({"at": at, "path": path, "handle": handle})
        try:
            return str(path.relative_to(self.relative_to))
        except ValueError:
            return str(path)

    def add(self, packet: Any, pts: int, dts: int, time_base: Fraction, key: bool, template: Any) -> None:
        now = time.monotonic()
        camera = float(dts * time_base)
        lag = now - camera
        if self._offset is None or lag < self._offset or abs(lag - self._offset) > GAP_S:
            self._offset = lag
        wall = camera + self._offset
        self._template = template
        self._ring.append((wall, pts, dts, time_base, key, packet))
        self._trim(wall)
        with self._lock:
            started, self._requests = self._requests, []
        for job in started:
            self._start(job)
        for job in list(self._active):
            if wall > job["at"] + self.post_s:
                self._finish(job)
            else:
                self._write(job, (wall, pts, dts, time_base, key, packet))

    def _trim(self, wall: float) -> None:
        """Keep everything after the newest keyframe at least pre_s old."""
        cutoff = wall - self.pre_s
        keys = [i for i, item in enumerate(self._ring) if item[4] and item[0] <= cutoff]
        for _ in range(keys[-1] if keys else 0):
            self._ring.popleft()

    def _start(self, job: dict[str, Any]) -> None:
        import av

        try:
            job["out"] = av.open(job.pop("handle"), "w", format="mp4", options={"movflags": MOVFLAGS})
            job["stream"] = self._template(job["out"])
        except Exception as exc:
            self._fail(job, exc)
            return
        job.update(base=None, frames=0)
        self._active.append(job)
        items = list(self._ring)
        start = job["at"] - self.pre_s
        keys = [i for i, item in enumerate(items) if item[4] and item[0] <= start]
        first = keys[-1] if keys else next((i for i, item in enumerate(items) if item[4]), len(items))
        for item in items[first:-1]:  # the newest packet is written by add()
            self._write(job, item)

    def _write(self, job: dict[str, Any], item: tuple) -> None:
        if job not in self._active:
            return
        _wall, pts, dts, time_base, key, packet = item
        if job["base"] is None:
            if not key:
                return
            job["base"] = dts
        try:
            packet.pts, packet.dts, packet.time_base = pts - job["base"], dts - job["base"], time_base
            packet.stream = job["stream"]
            job["out"].mux(packet)
            job["frames"] += 1
        except Exception as exc:
            self._fail(job, exc)

    def _finish(self, job: dict[str, Any]) -> None:
        self._active.remove(job)
        try:
            job["out"].close()
        except Exception as exc:
            self._fail(job, exc)
            return
        self.store.finished(job["path"], frames=job["frames"])
        self.written.append({"file": str(job["path"]), "frames": job["frames"]})

    def _fail(self, job: dict[str, Any], exc: BaseException) -> None:
        if job in self._active:
            self._active.remove(job)
        handle = job.get("handle")
        if handle is not None:
            handle.close()
        self.store.finished(job["path"])
        self.failed += 1
        self.on_error(exc)

    def close(self) -> None:
        """Clips in progress end with what has arrived; requests not started yet are written the same way
        (a clip requested before any video came stays an empty file, counted in ``failed``)."""
        with self._lock:
            started, self._requests = self._requests, []
        for job in started:
            if self._template is None:
                job.pop("handle").close()
                self.store.finished(job["path"])
                self.failed += 1
                continue
            self._start(job)
        for job in list(self._active):
            self._finish(job)

    def report(self) -> dict[str, Any]:
        return {"pre_s": self.pre_s, "post_s": self.post_s, "requested": self.requested,
                "written": len(self.written), "failed": self.failed,
                "kept": [e["file"] for e in self.store.kept("clip")]}
