"""Recording: annotated frames to video files with OpenCV's VideoWriter, in rotating segments.

A segment holds ``round(segment_s * fps)`` frames (``fps``: services.recording.fps, else the rate the
stream's frames arrive at: streams/sinks.py RecordingSink writes frames by their arrival time), so segment lengths are exact in the video's own timeline. A frame whose size differs from
the segment's first frame (an image folder of mixed sizes) is resized to it: VideoWriter would drop it
without a word. After a segment is closed,
the oldest files beyond ``retain`` are deleted. ``close()`` releases the writer, which completes the
file (the pipeline calls it on stop, on Ctrl-C and on SIGTERM).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError

EXTENSIONS = {"mp4v": ".mp4", "avc1": ".mp4", "h264": ".mp4", "mjpg": ".avi", "xvid": ".avi"}


class Recorder:
    def __init__(self, directory: Path, fps: float, segment_s: float, retain: int, codec: str = "mp4v"):
        if len(codec) != 4:
            raise ValueError(f"services.recording.codec: {codec!r} is not a FourCC (4 characters, e.g. mp4v)")
        self.directory = Path(directory)
        self.fps = float(fps)
        self.frames_per_segment = max(1, round(segment_s * self.fps))
        self.retain = max(1, int(retain))
        self.codec = codec
        self.suffix = EXTENSIONS.get(codec.lower(), ".mp4")
        self._writer: Any = None
        self._count = 0
        self._size = (0, 0)  # (width, height) of the open segment
        self.segments: list[dict[str, Any]] = []  # every segment written: file, frames (deleted too)
        self.deleted: list[str] = []

    def write(self, frame: Any) -> None:
        if self._writer is not None and self._count >= self.frames_per_segment:
            self._finish()
        if self._writer is None:
            self._open(frame)
        if frame.shape[:2] != self._size[::-1]:
            import cv2

            frame = cv2.resize(frame, self._size, interpolation=cv2.INTER_AREA)
        self._writer.write(frame)
        self._count += 1
        self.segments[-1]["frames"] = self._count

    def _open(self, frame: Any) -> None:
        import cv2

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"services.recording.path: cannot create {str(self.directory)!r} ({exc.strerror}); "
                              "expected a folder this user may write (relative: under the run directory)") from None
        from ..files import reserve_new

        # a new name, created with O_EXCL: a segment already there (the user's, or a link) is never replaced
        start = int(Path(self.segments[-1]["file"]).stem.rpartition("_")[2]) + 1 if self.segments else 0
        path = reserve_new(self.directory, "segment_", self.suffix, start=start, what="recording segment")
        height, width = frame.shape[:2]
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*self.codec), self.fps, (width, height))
        if not writer.isOpened():
            writer.release()
            path.unlink(missing_ok=True)  # the empty file reserve_new made
            raise ConfigError(f"services.recording.codec: OpenCV cannot write {self.codec!r} to {path}; expected a "
                              "FourCC this OpenCV build encodes, e.g. mp4v (.mp4) or MJPG (.avi)")
        self._writer, self._count, self._size = writer, 0, (width, height)
        self.segments.append({"file": str(path), "frames": 0})

    def _finish(self) -> None:
        self._writer.release()
        self._writer = None
        kept = [s for s in self.segments if s["file"] not in self.deleted]
        for old in kept[: max(0, len(kept) - self.retain)]:
            Path(old["file"]).unlink(missing_ok=True)
            self.deleted.append(old["file"])

    def close(self) -> dict[str, Any]:
        if self._writer is not None:
            self._finish()
        return self.report()

    def report(self) -> dict[str, Any]:
        kept = [s for s in self.segments if s["file"] not in self.deleted]
        return {"directory": str(self.directory), "codec": self.codec, "fps": self.fps,
                "frames_per_segment": self.frames_per_segment, "segments_written": len(self.segments),
                "deleted": len(self.deleted), "kept": kept}


def annotate(frame: Any, result: Any) -> Any:
    """A copy of the frame with the result drawn on it: tasks.draw when installed, else detection boxes
    (``box`` normalized [xmin, ymin, xmax, ymax]) or the top classification labels. ``result`` is a result
    dict (or, as before, its list of predictions)."""
    if isinstance(result, dict):
        try:
            from ..tasks.draw import draw
        except ImportError:
            pass
        else:
            return draw(frame, result)
        predictions = result.get("predictions") or []
    else:
        predictions = result or []
    import cv2

    out = frame.copy()
    height, width = out.shape[:2]
    for i, p in enumerate(predictions):
        text = f"{p.get('label') or p['class']} {p['score']:.2f}"
        if "box" in p:
            x0, y0, x1, y1 = p["box"]
            top_left = (int(x0 * width), int(y0 * height))
            cv2.rectangle(out, top_left, (int(x1 * width), int(y1 * height)), (0, 255, 0), 2)
            cv2.putText(out, text, (top_left[0], max(12, top_left[1] - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                        (0, 255, 0), 1, cv2.LINE_AA)
        else:
            cv2.putText(out, text, (6, 16 + 16 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 0), 1, cv2.LINE_AA)
    return out
