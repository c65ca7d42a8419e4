"""Frame sources through OpenCV: a video file, a folder of images, a camera index or a stream URL.

A source is opened, read frame by frame and closed by its stream's reader thread (streams/reader.py):
``open()`` raises SourceError when it cannot be opened (for a live source the reader then reconnects),
``read()`` returns a BGR frame, or None at the end (a file, a folder) or when a live stream is lost.
Folders skip unreadable images (counted in ``unreadable``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..backends.images import IMAGE_SUFFIXES
from .checks import SOURCE_EXPECTED, source_kind

DEFAULT_FPS = 10.0  # image folders, and streams that report no rate
OPEN_TIMEOUT_MS = 3000  # a live URL that does not answer: reconnect, not wait for ffmpeg's 30 s
READ_TIMEOUT_MS = 3000


class SourceError(Exception):
    """The source cannot be opened or read (a live source: reconnect; a file: the stream fails)."""


class Source:
    kind = "?"
    live = False

    def __init__(self, text: str):
        self.text = text
        self.fps = DEFAULT_FPS
        self.unreadable = 0

    def open(self) -> None:
        pass

    def read(self) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "live": self.live, "fps": self.fps}


class FolderSource(Source):
    kind = "folder"

    def open(self) -> None:
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

    def __init__(self, text: str, kind: str):
        super().__init__(text)
        self.kind = kind
        self.live = kind in ("camera", "url")
        self.cap: Any = None

    def open(self) -> None:
        import cv2

        self.close()
        if self.kind == "camera":
            cap = cv2.VideoCapture(int(self.text))
        elif self.kind == "url":
            cap = cv2.VideoCapture(self.text, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, OPEN_TIMEOUT_MS,
                                                               cv2.CAP_PROP_READ_TIMEOUT_MSEC, READ_TIMEOUT_MS])
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


def make_source(text: str) -> Source:
    """The source for a ``source`` value (not opened yet)."""
    text = str(text).strip()
    kind = source_kind(text)
    return FolderSource(text) if kind == "folder" else CaptureSource(text, kind)
