"""A stream's tracked objects and their events (docs/events.md), on the stream's worker thread.

``Lifecycle.step(result, frame, t)`` after the workflow: the tracker (registry kind "tracker") gives each
detection and pose its ``track_id``; a new id is a track (``start``); each track's box centre is tested
against the stream's lines (``cross``) and zones (``enter`` / ``leave`` after ``min_frames`` frames in a
row); a zone change or a better-scored sighting (at most one per ``snapshot_interval_s``) is an
``update``; a track not seen for ``max_age_s`` leaves its zones and ends. ``finish()`` (the stream
stopped or its source ended) ends every track. Events go to the stream's EventHub; ``result["zones"]``
and ``result["lines"]`` get the counts.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from .geometry import centre, contains, crossing


class Zone:
    def __init__(self, name: str, cfg: Any):
        self.name = name
        self.polygon = [(float(x), float(y)) for x, y in cfg.polygon]
        self.labels = {str(v) for v in (cfg.labels or ())}
        self.min_frames = int(cfg.min_frames)
        self.enters = self.leaves = self.max_inside = 0


class Line:
    def __init__(self, name: str, cfg: Any):
        self.name = name
        (ax, ay), (bx, by) = cfg.points
        self.a, self.b = (float(ax), float(ay)), (float(bx), float(by))
        self.directions = {str(d) for d in cfg.directions}
        self.labels = {str(v) for v in (cfg.labels or ())}
        self.totals = {"in": 0, "out": 0}


def _counts(labels: set, item: Mapping[str, Any], label: str) -> bool:
    return not labels or label in labels or str(item.get("class")) in labels


class _Track:
    def __init__(self, track_id: int, label: str, time: str, t: float):
        self.id = track_id
        self.label = label
        self.start_time = time
        self.last_t = t
        self.item: dict = {}
        self.box: list = []
        self.score = 0.0
        self.point: Optional[tuple[float, float]] = None
        self.zones: set[str] = set()
        self.streak: dict[str, int] = {}  # frames in a row a zone's test disagreed with the state
        self.best_score = -1.0
        self.best_box: list = []
        self.best_frame: Any = None
        self.snapshot_t = t


class Lifecycle:
    def __init__(self, stream: str, cfg: Any, tracker: Any, hub: Any):
        self.stream = stream
        self.max_age_s = float(cfg.tracker.max_age_s)
        self.interval_s = float(cfg.tracker.snapshot_interval_s)
        self.tracker = tracker
        self.hub = hub
        self.zones = [Zone(n, z) for n, z in dict(cfg.zones).items()]
        self.lines = [Line(n, ln) for n, ln in dict(cfg.lines).items()]
        self.tracks: dict[int, _Track] = {}
        self.seq = 0
        self.started = 0
        self._frame_index = 0
        self._time = ""

    # The worker's side ----------------------------------------------------------------------------
    def step(self, result: dict, frame: Any, t: float) -> None:
        items = [p for p in (result.get("predictions") or ()) if p.get("box")]
        items += [p for p in (result.get("poses") or ()) if p.get("box")]
        labels = [str(p.get("label") if p.get("label") is not None else p.get("class")) for p in items]
        ids = self.tracker.update([{"box": p["box"], "label": lab, "score": float(p.get("score", 0.0))}
                                   for p, lab in zip(items, labels)], t) if items else self.tracker.update([], t)
        for p in (result.get("poses") or ()):
            p.setdefault("track_id", None)
        self._frame_index, self._time = int(result.get("frame", 0)), str(result.get("time"))
        seen: set[int] = set()
        for item, label, track_id in zip(items, labels, ids):
            item["track_id"] = track_id
            if track_id is None or track_id in seen:
                continue
            seen.add(track_id)
            self._see(item, label, int(track_id), frame, t)
        for track_id in [i for i, tr in self.tracks.items() if i not in seen and t - tr.last_t > self.max_age_s]:
            self._end(self.tracks.pop(track_id), "lost", frame=None)
        if self.zones:
            result["zones"] = {}
            for z in self.zones:
                inside = sorted(i for i, tr in self.tracks.items() if z.name in tr.zones)
                z.max_inside = max(z.max_inside, len(inside))
                result["zones"][z.name] = {"inside": len(inside), "track_ids": inside}
        if self.lines:
            result["lines"] = {ln.name: dict(ln.totals) for ln in self.lines}

    def finish(self) -> None:
        """The stream stopped: every track leaves its zones and ends; the tracker forgets them."""
        for track_id in list(self.tracks):
            self._end(self.tracks.pop(track_id), "stopped", frame=None)
        reset = getattr(self.tracker, "reset", None)
        if callable(reset):
            reset()

    def report(self) -> dict:
        out: dict[str, Any] = {"tracks": self.started}
        if self.zones:
            out["zones"] = {z.name: {"enter": z.enters, "leave": z.leaves, "max_inside": z.max_inside}
                            for z in self.zones}
        if self.lines:
            out["lines"] = {ln.name: dict(ln.totals) for ln in self.lines}
        return out

    # One track in one frame -----------------------------------------------------------------------
    def _see(self, item: dict, label: str, track_id: int, frame: Any, t: float) -> None:
        tr = self.tracks.get(track_id)
        new = tr is None
        if tr is None:
            tr = self.tracks[track_id] = _Track(track_id, label, self._time, t)
            self.started += 1
        previous = tr.point
        tr.item, tr.box, tr.score, tr.last_t = item, list(item["box"]), float(item.get("score", 0.0)), t
        tr.point = centre(tr.box)
        better = tr.score > tr.best_score
        if better:
            tr.best_score, tr.best_box, tr.best_frame = tr.score, list(tr.box), frame
        if new:
            tr.snapshot_t = t
            self._emit("start", tr, frame)
        if previous is not None:
            for ln in self.lines:
                direction = crossing(ln.a, ln.b, previous, tr.point)
                if direction and _counts(ln.labels, item, label):
                    ln.totals[direction] += 1
                    if direction in ln.directions:
                        self._emit("cross", tr, frame, line=ln.name, direction=direction)
        changed = False
        for z in self.zones:
            inside = _counts(z.labels, item, label) and contains(z.polygon, *tr.point)
            if inside == (z.name in tr.zones):
                tr.streak[z.name] = 0
                continue
            tr.streak[z.name] = tr.streak.get(z.name, 0) + 1
            if tr.streak[z.name] < z.min_frames:
                continue
            tr.streak[z.name] = 0
            changed = True
            if inside:
                tr.zones.add(z.name)
                z.enters += 1
                self._emit("enter", tr, frame, zone=z.name)
            else:
                tr.zones.discard(z.name)
                z.leaves += 1
                self._emit("leave", tr, frame, zone=z.name)
        if changed and not new:
            self._emit("update", tr, frame, reason="zone")
        elif better and not new and t - tr.snapshot_t >= self.interval_s:
            tr.snapshot_t = t
            self._emit("update", tr, frame, reason="snapshot")

    def _end(self, tr: _Track, reason: str, frame: Any) -> None:
        for z in self.zones:
            if z.name in tr.zones:
                tr.zones.discard(z.name)
                z.leaves += 1
                self._emit("leave", tr, tr.best_frame, zone=z.name, _box=tr.best_box)
        tr.score = tr.best_score
        self._emit("end", tr, tr.best_frame, reason=reason, _box=tr.best_box)

    def _emit(self, kind: str, tr: _Track, frame: Any, **extra: Any) -> None:
        self.seq += 1
        event = {"type": kind, "id": f"{self.stream}-{self.seq}", "stream": self.stream, "track_id": tr.id,
                 "label": tr.label, "score": round(tr.score, 6), "box": [round(float(v), 6) for v in tr.box],
                 "zones": sorted(tr.zones)}
        event.update({k: v for k, v in extra.items() if not k.startswith("_")})
        event.update({"start_time": tr.start_time, "time": self._time, "frame": self._frame_index,
                      "snapshot": None})
        if frame is not None and self.hub.attachments:  # what an attachment (snapshot, clip) may read
            event["_frame"] = frame
            event["_box"] = extra.get("_box") or event["box"]
        self.hub.publish(event)
