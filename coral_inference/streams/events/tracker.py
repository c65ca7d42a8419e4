"""The built-in tracker ``iou`` (registry kind "tracker"; contract: plugins/contract.py Tracker).

SORT without its Kalman filter: each track keeps its last box and a velocity (box change per second,
smoothed); a new frame's boxes are matched to the tracks' predicted boxes greedily, highest IoU first,
same label only, at ``iou_threshold`` or more. A track seen ``min_hits`` times gets its id (ids count
from 1 and are never reused in the stream); a track not seen for ``max_age_s`` is forgotten.

Why not a library: norfair 2.3 (Frigate's tracker) pins numpy < 2 and filterpy < 2, whose release pulls
in matplotlib, plus scipy and rich (about 100 MB on a small ARM board, and a numpy conflict with this
package's interpreter); supervision's ByteTrack brings more. Objects on a Coral stream are a handful per
frame, so greedy IoU matching costs microseconds (BENCHMARKS.md: Tracking).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from .geometry import iou

SMOOTHING = 0.5  # weight of the newest velocity measurement


class _Track:
    __slots__ = ("box", "velocity", "label", "last_t", "hits", "id")

    def __init__(self, box: Sequence[float], label: Any, t: float):
        self.box = [float(v) for v in box]
        self.velocity = [0.0, 0.0, 0.0, 0.0]
        self.label = label
        self.last_t = t
        self.hits = 1
        self.id: Optional[int] = None

    def predicted(self, t: float) -> list[float]:
        dt = t - self.last_t
        return [b + v * dt for b, v in zip(self.box, self.velocity)]

    def see(self, box: Sequence[float], t: float) -> None:
        dt = t - self.last_t
        if dt > 0:
            measured = [(float(n) - o) / dt for n, o in zip(box, self.box)]
            self.velocity = [SMOOTHING * m + (1 - SMOOTHING) * v for m, v in zip(measured, self.velocity)]
        self.box = [float(v) for v in box]
        self.last_t = t
        self.hits += 1


class IouTracker:
    def __init__(self, settings: Mapping[str, Any], stream: Any = None):
        self.max_age_s = float(settings.get("max_age_s", 1.0))
        self.min_hits = int(settings.get("min_hits", 3))
        self.iou_threshold = float(settings.get("iou_threshold", 0.3))
        self._tracks: list[_Track] = []
        self._next = 1

    def update(self, objects: Sequence[Mapping[str, Any]], t: float) -> list[Optional[int]]:
        self._tracks = [tr for tr in self._tracks if t - tr.last_t <= self.max_age_s]
        predicted = [tr.predicted(t) for tr in self._tracks]
        pairs = []
        for d, obj in enumerate(objects):
            for k, tr in enumerate(self._tracks):
                if tr.label == obj.get("label"):
                    overlap = iou(predicted[k], obj["box"])
                    if overlap >= self.iou_threshold and overlap > 0:
                        pairs.append((-overlap, d, k))
        pairs.sort()
        owner: dict[int, _Track] = {}
        taken: set[int] = set()
        for _, d, k in pairs:
            if d not in owner and k not in taken:
                owner[d] = self._tracks[k]
                taken.add(k)
        out: list[Optional[int]] = []
        for d, obj in enumerate(objects):
            tr = owner.get(d)
            if tr is None:
                tr = _Track(obj["box"], obj.get("label"), t)
                self._tracks.append(tr)
            else:
                tr.see(obj["box"], t)
            if tr.id is None and tr.hits >= self.min_hits:
                tr.id, self._next = self._next, self._next + 1
            out.append(tr.id)
        return out

    def reset(self) -> None:
        """Forget every track (the stream stopped); ids go on counting."""
        self._tracks = []


def iou_tracker(settings: Mapping[str, Any], stream: Any = None) -> IouTracker:
    return IouTracker(settings, stream)
