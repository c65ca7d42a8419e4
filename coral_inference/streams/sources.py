"""Frame sources through OpenCV: a video file, a folder of images, a camera index or a stream URL.

A source is opened, read frame by frame and closed by its stream's reader thread (streams/reader.py):
``open()`` raises SourceError when it cannot be opened (for a live source the reader then reconnects),
``read()`` returns a BGR frame, or None at the end (a file, a folder) or when a live stream is lost.
Folders skip unreadable images (counted in ``unreadable``).

Live sources open in parallel, each within its own ``timeout_s`` (``streams.<name>.open_timeout_s``): every
stream's reader thread opens its own source, and a URL goes through PyAV (FFmpeg; ``av``, installed with the
``live`` or ``serve`` extra) because OpenCV's FFmpeg backend opens under one process-wide lock (four RTSP
cameras opened one after the other, the fourth seconds late). Without PyAV a URL goes through OpenCV (the
opens then queue behind that lock). Each open records ``open_started`` / ``open_ended`` (monotonic seconds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..backends.images import IMAGE_SUFFIXES
from .checks import SOURCE_EXPECTED, source_kind

DEFAULT_FPS = 10.0  # image folders, and streams that report no rate
OPEN_TIMEOUT_S = 3.0  # a live URL that does not answer: reconnect, not wait for ffmpeg's 30 s
READ_TIMEOUT_S = 3.0


class SourceError(Exception):
    """The source cannot be opened or read (a live source: reconnect; a file: the stream fails)."""


class Source:
    kind = "?"
    live = False

    def __init__(self, text: str, timeout_s: float = OPEN_TIMEOUT_S):
        self.text = text
        self.timeout_s = timeout_s  # a live source's open (and read) gives up after this many seconds
        self.fps = DEFAULT_FPS
        self.unreadable = 0
        self.open_started: float | None = None  # monotonic start and end of the last open attempt
        self.open_ended: float | None = None

    def open(self) -> None:
        """Open the source (SourceError when it cannot be), recording when the attempt started and ended."""
        import time

        self.open_started, self.open_ended = time.monotonic(), None
        try:
            self._open()
        finally:
            self.open_ended = time.monotonic()

    def _open(self) -> None:
        pass

    def read(self) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "live": self.live, "fps": self.fps}


class FolderSource(Source):
    kind = "folder"

    def _open(self) -> None:
        path = Path(self.text).expanduser()
        if not path.is_dir():
            raise SourceError(f"{self.text!r} is not a folder")
        self.files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise SourceError(f"no images in {self.text!r} (expected files ending in {', '.join(sorted(IMAGE_SUFFIXES))})")
        self._next = 0
        self.unreadable = 0

    def read(self) -> Any:
        import cv2

        while self._next < len(self.files):
            path = self.files[self._next]
            self._next += 1
            frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if frame is not None:
                return frame
            self.unreadable += 1
        return None


class CaptureSource(Source):
    """cv2.VideoCapture: a video file, or (live) a camera index or a stream URL."""

    def __init__(self, text: str, kind: str, timeout_s: float = OPEN_TIMEOUT_S):
        super().__init__(text, timeout_s)
        self.kind = kind
        self.live = kind in ("camera", "url")
        self.cap: Any = None

    def _open(self) -> None:
        import cv2

        self.close()
        ms = int(self.timeout_s * 1000)
        if self.kind == "camera":
            cap = cv2.VideoCapture(int(self.text))
        elif self.kind == "url":
            cap = cv2.VideoCapture(self.text, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms,
                                                               cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms])
        else:
            cap = cv2.VideoCapture(str(Path(self.text).expanduser()))
        if not cap.isOpened():
            cap.release()
            hint = (f"; check that /dev/video{self.text} exists and this user may read it (group 'video')"
                    if self.kind == "camera" else "")
            raise SourceError(f"OpenCV cannot open {self.text!r} as a {self.kind} (expected {SOURCE_EXPECTED}){hint}")
        if self.live:
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the driver keeps the newest frame only (where supported)
        rate = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(rate) if rate and 0 < rate < 1000 else DEFAULT_FPS
        self.cap = cap

    def read(self) -> Any:
        if self.cap is None:
            return None
        ok, frame = self.cap.read()
        return frame if ok else None

    def close(self) -> None:
        if self.cap is not None:
            self.cap.release()
            self.cap = None


def make_source(text: str, timeout_s: float = OPEN_TIMEOUT_S) -> Source:
    """The source for a ``source`` value (not opened yet); ``timeout_s``: a live source's open timeout."""
    text = str(text).strip()
    kind = source_kind(text)
    if kind == "folder":
        return FolderSource(text, timeout_s)
    if kind == "url" and pyav_available():
        from .urlsource import UrlSource

        return UrlSource(text, timeout_s)
    return CaptureSource(text, kind, timeout_s)


def pyav_available() -> bool:
    """PyAV is installed (URLs then open through it, in parallel)."""
    import importlib.util

    return importlib.util.find_spec("av") is not None
