"""What each stream asks of its backend: its rate, its model and its backend, each with where it came from.

The rate is ``streams.<name>.max_fps`` when set; else a video file's own rate (OpenCV reads it from the file;
coral-run itself reads a file as fast as the backend takes it, so this plans the file as the camera it stands
in for); else an assumption (``--assume-fps``), named: a camera or URL says its rate only once opened, a folder of
images has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Demand:
    stream: str
    prefix: str  # streams.<name> (run.source is the shorthand of streams.default.source)
    source: str
    model: str  # "default" or a key of models
    backend: str
    fps: float
    fps_source: str


def demands(config: Any, assume_fps: float) -> tuple[list[Demand], list[str]]:
    """(one Demand per enabled stream, the names of disabled ones)."""
    from ..streams.checks import source_kind
    from ..streams.spec import entries

    backends = config.active_backends()
    out, disabled = [], []
    for name, entry in entries(config).items():
        stream, prefix = entry.config, f"streams.{name}"
        if not stream.enabled:
            disabled.append(name)
            continue
        source = str(entry.source or "")
        if stream.max_fps:
            fps, why = float(stream.max_fps), f"{prefix}.max_fps"
        else:
            fps, why = _own_rate(source, source_kind(source) if source else "none", assume_fps)
        backend = stream.backend or (backends[0] if backends else "")
        out.append(Demand(name, prefix, source, stream.model, backend, fps, why))
    return out, disabled


def _own_rate(source: str, kind: str, assume_fps: float) -> tuple[float, str]:
    assumed = f"assumed {assume_fps:g} fps (--assume-fps)"
    if kind == "file":
        rate = file_fps(source)
        if rate:
            return rate, ("the file's own rate (coral-run reads a file as fast as it can unless max_fps is set; "
                          "planned as the camera it stands in for)")
        return assume_fps, f"{assumed}: the file states no rate OpenCV can read"
    if kind in ("camera", "url"):
        return assume_fps, f"{assumed}: a live source's rate is known only once it is open; set max_fps to plan it"
    if kind == "folder":
        return assume_fps, f"{assumed}: a folder of images has no rate (it is read as fast as the backend takes it)"
    return assume_fps, f"{assumed}: no source"


def file_fps(path: str) -> float | None:
    """The frame rate a video file states (OpenCV's CAP_PROP_FPS), or None."""
    if not Path(path).expanduser().is_file():
        return None
    import cv2

    cap = cv2.VideoCapture(str(Path(path).expanduser()))
    try:
        rate = cap.get(cv2.CAP_PROP_FPS) if cap.isOpened() else 0
    finally:
        cap.release()
    return round(float(rate), 3) if rate and 0 < rate < 1000 else None
