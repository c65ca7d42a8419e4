"""Recording by encoding: frames to H.264 (PyAV's libx264, yuv420p; browsers play it) or MPEG-4 Part 2
(``mp4v``: smaller CPU cost, browsers do not play it), in rotating MP4 segments (services/mp4.py).

``write(frame, t)``: ``t`` is when the frame arrived (time.monotonic(), a live source): the frame is
stamped with it, so the video plays at the rate frames actually came, whatever a burst on connect did;
``t=None`` (a file or folder): frame i is at i / fps. Segments are cut at ``segment_s`` on a keyframe
the recorder forces there (and about every second, for clips). A frame whose size differs from the
recording's first frame (an image folder of mixed sizes) is resized to it; odd sizes are made even
(yuv420p). ``close()`` flushes the encoder and completes the file (the pipeline calls it on stop, on
Ctrl-C and on SIGTERM).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, Optional

from ..errors import ConfigError

CODECS = {"h264": "libx264", "mp4v": "mpeg4"}  # services.recording.codec -> PyAV encoder
TICKS = {"h264": 90000, "mp4v": 1000}  # time base 1/ticks (MPEG-4 Part 2 takes at most 1/65535)
KEY_EVERY_S = 1.0


class Recorder:
    def __init__(self, directory: Path, fps: float, segment_s: float, retain: int, codec: str = "h264",
                 store: Any = None, clips: Any = None):
        from .mp4 import Segments
        from .retention import Store

        if codec not in CODECS:
            raise ValueError(f"services.recording.codec: {codec!r} is not one of {', '.join(CODECS)}")
        self.directory = Path(directory)
        self.fps = float(fps)
        self.segment_s = float(segment_s)
        self.codec = codec
        self.ticks = TICKS[codec]
        self.store = store or Store(self.directory, retain)
        self.segments = Segments(self.store, segment_s, clips)
        self._ctx: Any = None
        self._size = (0, 0)  # (width, height) of the recording
        self._t0: Optional[float] = None
        self._last_pts = -1
        self._last_key: Optional[int] = None
        self._seg_start = 0
        self.frames = 0

    def _open(self, frame: Any) -> None:
        import av

        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"services.recording.path: cannot create {str(self.directory)!r} ({exc.strerror}); "
                              "expected a folder this user may write (relative: under the run directory)") from None
        height, width = frame.shape[:2]
        width, height = max(2, width - width % 2), max(2, height - height % 2)
        ctx = av.CodecContext.create(CODECS[self.codec], "w")
        ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
        ctx.time_base = Fraction(1, self.ticks)
        ctx.framerate = Fraction(self.fps).limit_denominator(1001)
        if self.codec == "h264":
            ctx.options = {"preset": "veryfast", "tune": "zerolatency"}
        else:
            ctx.bit_rate = 2_000_000
        ctx.open()
        self._ctx, self._size = ctx, (width, height)
        name = "h264" if self.codec == "h264" else "mpeg4"
        self._template = lambda out: out.add_mux_stream(name, width=width, height=height)

    def write(self, frame: Any, t: Optional[float] = None) -> None:
        import av

        if self._ctx is None:
            self._open(frame)
        if frame.shape[1::-1] != self._size:
            import cv2

            frame = cv2.resize(frame, self._size, interpolation=cv2.INTER_AREA)
        if t is None:
            pts = round(self.frames * self.ticks / self.fps)
        else:
            self._t0 = t if self._t0 is None else self._t0
            pts = round((t - self._t0) * self.ticks)
        pts = max(pts, self._last_pts + 1)  # strictly increasing
        image = av.VideoFrame.from_ndarray(frame, format="bgr24").reformat(format="yuv420p")
        image.pts, image.time_base = pts, Fraction(1, self.ticks)
        due = self._last_key is None or (pts - self._seg_start) >= self.segment_s * self.ticks - 1
        if due:
            self._seg_start = pts
        if due or (pts - self._last_key) >= KEY_EVERY_S * self.ticks:
            image.pict_type = av.video.frame.PictureType.I
            self._last_key = pts
        self._last_pts = pts
        self.frames += 1
        for packet in self._ctx.encode(image):
            self.segments.add(packet, self._template)

    def close(self) -> dict[str, Any]:
        if self._ctx is not None:
            for packet in self._ctx.encode(None):
                self.segments.add(packet, self._template)
            self._ctx = None
        self.segments.close()
        return self.report()

    def report(self) -> dict[str, Any]:
        kept = [{"file": str(self.directory / e["file"]), "frames": e.get("frames", self.segments.frames_in_open)}
                for e in self.store.kept("segment")]
        written = len(self.segments.written) + (1 if self.segments.current is not None else 0)
        return {"directory": str(self.directory), "mode": "encode", "codec": self.codec, "fps": self.fps,
                "frames": self.frames, "segments_written": written,
                "deleted": self.store.deleted["segment"], "kept": kept}


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


ZONE_BGR, LINE_BGR = (255, 0, 255), (0, 255, 255)  # magenta zones, yellow lines


def draw_shapes(image: Any, shapes: list) -> Any:
    """``image`` with each (kind, name, points) drawn in place: a zone as its closed polygon, a line as its
    segment, with its name; points are normalized 0..1 (x, y)."""
    if not shapes:
        return image
    import cv2
    import numpy as np

    height, width = image.shape[:2]
    for kind, name, points in shapes:
        pts = np.array([[int(x * (width - 1)), int(y * (height - 1))] for x, y in points], np.int32)
        color = ZONE_BGR if kind == "zone" else LINE_BGR
        cv2.polylines(image, [pts], kind == "zone", color, 2, cv2.LINE_AA)
        cv2.putText(image, str(name), (int(pts[0][0]) + 3, max(12, int(pts[0][1]) - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4, color, 1, cv2.LINE_AA)
    return image
