"""Recording without decoding: the camera's (or file's) H.264 packets copied into MP4 segments with PyAV
(FFmpeg's RTSP demuxer and MP4 muxer; no decode, no encode), on a thread of its own.

``probe(text, kind)`` opens the source as the recorder will read it and says whether its video is
H.264 (what browsers play); ``PacketCopy`` then reads packets from that open source into
services/mp4.py ``Segments`` (segments cut on keyframes, the camera's timestamps). A live source that
is lost is opened again (the same backoff as the stream's reader: doubling from 0.5 s to 8 s) while the
stream runs; the segment in progress is closed first. A file is copied as far as the stream has read
it (``follow()``: frames processed, or skipped by motion gating), so its recording holds what the run processed. A segment that cannot be
written ends the copy and is reported through ``on_error`` (the stream's recording is then ``failed``).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional

COPYABLE = ("h264",)
OPEN_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 5.0
RTSP = {"rtsp_transport": "tcp", "analyzeduration": "1000000"}


def open_source(text: str, kind: str) -> Any:
    """The source opened with PyAV. RTSP: over TCP, with FFmpeg's own socket timeout (PyAV's ``timeout=``
    is a Python callback FFmpeg calls at every read, which cost more CPU than the copy itself)."""
    import av

    if text.lower().startswith(("rtsp://", "rtsps://")):
        return av.open(text, options={**RTSP, "timeout": str(int(READ_TIMEOUT_S * 1_000_000))})
    return av.open(text, timeout=(OPEN_TIMEOUT_S, READ_TIMEOUT_S) if kind == "url" else None)


def probe(text: str, kind: str) -> tuple[Any, Optional[str]]:
    """(open container, None) when the source's video can be copied; else (None, why not)."""
    if kind not in ("url", "file"):
        return None, f"a {kind} source has no packets to copy"
    try:
        container = open_source(text, kind)
    except Exception as exc:  # av.error.*: the recorder encodes the frames instead
        return None, f"PyAV cannot open the source ({type(exc).__name__})"
    video = container.streams.video
    name = video[0].codec_context.name if video else None
    if name not in COPYABLE:
        container.close()
        return None, f"its video is {name or 'missing'}, not H.264"
    return container, None


class PacketCopy:
    def __init__(self, text: str, kind: str, live: bool, container: Any, segments: Any,
                 active: Callable[[], bool], on_error: Callable[[BaseException], None],
                 on_lost: Callable[[str], None] = lambda why: None,
                 follow: Optional[Callable[[], int]] = None):
        self.text, self.kind, self.live = text, kind, live
        self.container = container
        self.segments = segments
        self.active = active
        self.on_error = on_error
        self.on_lost = on_lost
        self.follow = follow
        self._finishing = threading.Event()
        self.packets = 0
        self.reconnects = 0
        self.ended = False  # a file copied to its end
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="recording-copy", daemon=True)

    def start(self) -> "PacketCopy":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """A file: copy what the stream read, then end; a live source: end now."""
        self._finishing.set()
        if self.live or self.follow is None:
            self._stop.set()
        self._thread.join(timeout)
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        backoff = 0.5
        try:
            while not self._stop.is_set():
                if self.container is None:
                    if self._stop.wait(backoff):
                        return
                    backoff = min(8.0, backoff * 2)
                    try:
                        self.container = open_source(self.text, self.kind)
                        self.reconnects += 1
                        backoff = 0.5
                    except Exception as exc:
                        self.on_lost(f"{type(exc).__name__}")
                        continue
                if not self._copy():
                    return
        finally:
            self._close()

    def _copy(self) -> bool:
        """Copy until the source ends or is lost (True: open it again) or the copy must end (False)."""
        stream = self.container.streams.video[0]

        def template(out: Any, stream: Any = stream) -> Any:
            return out.add_stream_from_template(stream)

        try:
            for packet in self.container.demux(stream):
                if self._stop.is_set():
                    return False
                if not self.active():
                    self.segments.cut()  # paused or stopped: nothing recorded meanwhile
                    continue
                if packet.size == 0:
                    continue
                while self.follow is not None and self.packets >= self.follow():
                    if self._finishing.is_set() or self._stop.wait(0.005):
                        return False
                try:
                    self.segments.add(packet, template)
                except Exception as exc:  # the file side: the recording fails
                    self.on_error(exc)
                    return False
                self.packets += 1
        except Exception as exc:  # the source side: lost
            self.on_lost(f"{type(exc).__name__}: {exc}")
        self.segments.cut()
        self._close()
        if not self.live:
            self.ended = True
            return False
        return True

    def _close(self) -> None:
        if self.container is not None:
            try:
                self.container.close()
            except Exception:
                pass
            self.container = None
