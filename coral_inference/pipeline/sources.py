"""Frame sources through OpenCV: a video file, a folder of images, a camera index or a stream URL.

``open_source(text, capture)`` returns a Source: iterate it for BGR frames; ``dropped`` counts frames
that could not be read (unreadable images, failed reads of a live stream). Live sources (camera
index, URL) use the camera patch's CaptureSettings when it is enabled: a 1-frame capture buffer and
reconnect with exponential backoff; without it, the first failed read ends the stream.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

from ..errors import ConfigError
from .checks import SOURCE_EXPECTED, source_kind

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}
DEFAULT_FPS = 10.0  # image folders, and streams that report no rate


class Source:
    kind = "?"

    def __init__(self, text: str):
        self.text = text
        self.dropped = 0
        self.reconnects = 0
        self.fps = DEFAULT_FPS

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"source": self.text, "kind": self.kind, "fps": self.fps}


class FolderSource(Source):
    kind = "folder"

    def __init__(self, text: str):
        from ..backends.images import image_files  # the listing bench mode's run.images uses too

        super().__init__(text)
        self.files = image_files(text, "run.source")

    def __iter__(self) -> Iterator[Any]:
        import cv2

        for path in self.files:
            frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if frame is None:
                self.dropped += 1
                continue
            yield frame


class CaptureSource(Source):
    """A cv2.VideoCapture: a video file, or (live) a camera index or stream URL."""

    def __init__(self, text: str, kind: str, capture: Any = None):
        super().__init__(text)
        self.kind = kind
        self.live = kind in ("camera", "url")
        self.settings = capture if self.live else None
        self.cap = self._open()
        if not self.cap.isOpened():
            hint = (f"; check that /dev/video{text} exists and this user may read it (group 'video'; in a container: "
                    f"--device /dev/video{text})" if kind == "camera" else "")
            raise ConfigError(f"run.source: OpenCV cannot open {text!r} as a {kind} (expected {SOURCE_EXPECTED}){hint}")
        import cv2

        rate = self.cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(rate) if rate and 0 < rate < 1000 else DEFAULT_FPS

    def _open(self) -> Any:
        import cv2

        cap = cv2.VideoCapture(int(self.text) if self.kind == "camera" else self.text)
        if self.settings is not None and cap.isOpened():
            cap.set(cv2.CAP_PROP_BUFFERSIZE, self.settings.buffer_size)
        return cap

    def __iter__(self) -> Iterator[Any]:
        while True:
            ok, frame = self.cap.read()
            if ok:
                yield frame
                continue
            if not self.live:
                return  # end of the file
            self.dropped += 1
            if self.settings is None or not self._reconnect():
                return

    def _reconnect(self) -> bool:
        wait = self.settings.backoff_s
        for _ in range(self.settings.reconnect_attempts):
            time.sleep(wait)
            self.cap.release()
            self.cap = self._open()
            self.reconnects += 1
            if self.cap.isOpened():
                return True
            wait = min(wait * 2, self.settings.backoff_max_s)
        return False

    def close(self) -> None:
        self.cap.release()

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "reconnects": self.reconnects, "capture_buffer":
                getattr(self.settings, "buffer_size", None)}


def open_source(text: str, capture: Any = None) -> Source:
    text = str(text).strip()
    kind = source_kind(text)
    if kind == "folder":
        return FolderSource(text)
    if kind == "file" and not Path(text).expanduser().is_file():
        raise ConfigError(f"run.source: no such file or folder {text!r} (expected {SOURCE_EXPECTED})")
    return CaptureSource(str(Path(text).expanduser()) if kind == "file" else text, kind, capture)
