"""The event sinks (registry kind "sink"; contract: plugins/contract.py Sink), switched per stream by
``streams.<name>.sinks.events`` and ``.snapshots``. Both work on the stream's event hub
(``stream.events``, streams/events/hub.py) and decline (the factory returns None) on a stream without a
tracker; their ``write`` (every result) does nothing.

* events: subscribes to the hub; one ``events.jsonl`` in the run folder for every stream, a line per
  event, flushed at once (keys starting with ``_`` are never written).
* snapshots: attaches ``snapshot`` to every event: the event's frame with the track's box and
  ``<label> #<track_id> <score>`` drawn, ``snapshots/<stream>/<event id>.jpg`` (a new file each, never
  through a link, never over a file); the event's ``snapshot`` is that path relative to the run folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

JPEG_QUALITY = 85


class EventsSink:
    def __init__(self, stream: Any):
        from ..sinks import ResultsFile

        self.file = stream.shared("events", lambda: ResultsFile(Path(stream.run_dir) / "events.jsonl"))
        self.written = 0
        self._unsubscribe = stream.events.subscribe(self._write)

    def _write(self, event: dict) -> None:
        self.file.write(event)
        self.file.flush()
        self.written += 1

    def write(self, result: dict, frame: Any) -> None:
        pass

    def close(self) -> Optional[dict]:
        self.file.flush()
        return {"file": str(self.file.path), "events": self.written}


def events_sink(stream: Any, context: Any) -> Optional[EventsSink]:
    return EventsSink(stream) if getattr(stream, "events", None) is not None and stream.lifecycle else None


class SnapshotsSink:
    def __init__(self, stream: Any):
        self.run_dir = Path(stream.run_dir)
        self.stream = stream.name
        self.folder: Optional[Path] = None
        self.written = 0
        self.skipped = 0  # events without a frame
        self._detach = stream.events.attach("snapshot", self._snapshot)

    def _snapshot(self, event: dict) -> Optional[str]:
        import cv2

        from ...files import ensure_dir, open_for_write
        from ...tasks.draw import _text
        from ...tasks.mask import bright_bgr

        frame = event.get("_frame")
        if frame is None:
            self.skipped += 1
            return None
        if self.folder is None:
            self.folder = ensure_dir(self.run_dir, "snapshots", self.stream, what="snapshots folder")
        image = frame.copy()
        height, width = image.shape[:2]
        box = event.get("_box") or event.get("box") or []
        if len(box) == 4:
            x0, y0, x1, y1 = (int(round(v * s)) for v, s in zip(box, (width, height, width, height)))
            colour = bright_bgr(int(event.get("track_id") or 0))
            cv2.rectangle(image, (x0, y0), (x1, y1), colour, 2)
            _text(cv2, image, f"{event.get('label')} #{event.get('track_id')} {float(event.get('score') or 0):.2f}",
                  (x0, y0 - 2), colour)
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise RuntimeError("the JPEG encoder refused the frame")
        path = self.folder / f"{event['id']}.jpg"
        with open_for_write(path, "snapshot", binary=True) as handle:
            handle.write(data.tobytes())
        self.written += 1
        return path.relative_to(self.run_dir).as_posix()

    def write(self, result: dict, frame: Any) -> None:
        pass

    def close(self) -> Optional[dict]:
        return {"folder": str(self.folder) if self.folder else None, "snapshots": self.written,
                "without_frame": self.skipped}


def snapshots_sink(stream: Any, context: Any) -> Optional[SnapshotsSink]:
    return SnapshotsSink(stream) if getattr(stream, "events", None) is not None and stream.lifecycle else None
