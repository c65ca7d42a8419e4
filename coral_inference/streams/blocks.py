"""The built-in workflow blocks (registry kind "workflow"; contract: plugins/contract.py Block).

Objects are located in normalized coordinates (0..1): a detection's box centre (``box`` is
[xmin, ymin, xmax, ymax]), or a pose's mean keypoint position (keypoints with a score at least
``min_keypoint_score``). Classification results have no position: line_counter and zone_count count
nothing for them.

* ``score_filter(min_score, drop_empty=False)``: predictions/poses below ``min_score`` are removed;
  with ``drop_empty`` a result left with none is dropped.
* ``label_filter(include=[], exclude=[])``: keep only predictions whose label (or class id) is in
  ``include`` (when given) and not in ``exclude``.
* ``line_counter(line=[[x1, y1], [x2, y2]], max_distance=0.2)``: objects crossing the line, per
  direction (``in``: from the left of the line's direction to its right, ``out``: the other way).
  Objects are tracked simply: each object is matched to the nearest centre of the previous frame
  (within ``max_distance``), and counted when the segment between the two centres crosses the line.
* ``zone_count(polygon=[[x, y], …])``: objects inside the polygon in this frame (``inside``), the most
  seen at once (``max_inside``) and frames with at least one object inside (``frames_occupied``).
"""

from __future__ import annotations

from typing import Any, Optional


def _is_number(value: Any) -> bool:
    """A real number as YAML gives it: int or float, never a bool or text ('0.5' is not coerced)."""
    import math

    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _flag(value: Any, what: str) -> bool:
    """A switch: true or false only ('false', 'no', 0 are refused, never read as true)."""
    if not isinstance(value, bool):
        raise ValueError(f"{what}: expected true or false, got {value!r}")
    return value


def _label(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what}: expected a non-empty text, got {value!r}")
    return value


def _point(value: Any, what: str) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2 \
            or not all(_is_number(v) for v in value):
        raise ValueError(f"{what}: expected a point [x, y] of two numbers, got {value!r}")
    x, y = (float(v) for v in value)
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise ValueError(f"{what}: {value!r} is outside the frame (normalized coordinates 0..1)")
    return x, y


def positions(result: dict, min_keypoint_score: float = 0.2) -> list[tuple[float, float, Any]]:
    """(x, y, label) of every object of a result, normalized."""
    out = []
    for p in result.get("predictions") or ():
        box = p.get("box")
        if box and len(box) == 4:
            out.append(((box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0, p.get("label") or p.get("class")))
    for pose in result.get("poses") or ():
        points = [k for k in pose.get("keypoints") or () if k.get("score", 1.0) >= min_keypoint_score]
        if points:
            out.append((sum(k["nx"] for k in points) / len(points), sum(k["ny"] for k in points) / len(points), "person"))
    return out


def _counts(result: dict, name: str) -> dict:
    return result.setdefault("workflow", {}).setdefault(name, {})


class ScoreFilter:
    def __init__(self, min_score: float = 0.5, drop_empty: bool = False):
        if not _is_number(min_score) or not 0.0 <= float(min_score) <= 1.0:
            raise ValueError(f"min_score: expected a number from 0 to 1, got {min_score!r}")
        self.min_score, self.drop_empty = float(min_score), _flag(drop_empty, "drop_empty")
        self.removed = 0
        self.dropped = 0

    def __call__(self, result: dict, frame: Any, stream: Any) -> Optional[dict]:
        kept_any = False
        for key in ("predictions", "poses"):
            items = result.get(key)
            if items is None:
                continue
            kept = [p for p in items if float(p.get("score", 0.0)) >= self.min_score]
            self.removed += len(items) - len(kept)
            result[key] = kept
            kept_any = kept_any or bool(kept)
        if self.drop_empty and not kept_any:
            self.dropped += 1
            return None
        return result

    def summary(self) -> dict:
        return {"removed": self.removed, "dropped_results": self.dropped}


class LabelFilter:
    def __init__(self, include: Any = (), exclude: Any = ()):
        for name, value in (("include", include), ("exclude", exclude)):
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__") or hasattr(value, "items") \
                    or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
                raise TypeError(f"{name}: expected a list of labels or class ids, got {value!r}")
        self.include = {str(v) for v in include}
        self.exclude = {str(v) for v in exclude}
        self.removed = 0

    def _keep(self, p: dict) -> bool:
        names = {str(p.get("label")), str(p.get("class"))}
        return (not self.include or bool(names & self.include)) and not (names & self.exclude)

    def __call__(self, result: dict, frame: Any, stream: Any) -> Optional[dict]:
        items = result.get("predictions")
        if items is not None:
            kept = [p for p in items if self._keep(p)]
            self.removed += len(items) - len(kept)
            result["predictions"] = kept
        return result

    def summary(self) -> dict:
        return {"removed": self.removed}


class LineCounter:
    def __init__(self, line: Any = ((0.0, 0.5), (1.0, 0.5)), max_distance: float = 0.2, name: str = "line_counter"):
        if isinstance(line, (str, bytes)) or not hasattr(line, "__len__") or len(line) != 2:
            raise ValueError(f"line: expected two points [[x1, y1], [x2, y2]], got {line!r}")
        self.a, self.b = _point(line[0], "line[0]"), _point(line[1], "line[1]")
        if self.a == self.b:
            raise ValueError("line: the two points are the same")
        if not _is_number(max_distance) or not max_distance > 0:
            raise ValueError(f"max_distance: expected a positive number, got {max_distance!r}")
        self.max_distance = float(max_distance)
        self.name = _label(name, "name")
        self.previous: list[tuple[float, float]] = []
        self.totals = {"in": 0, "out": 0}

    def _side(self, p: tuple[float, float]) -> float:
        (ax, ay), (bx, by) = self.a, self.b
        return (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax)

    def _crosses(self, p: tuple[float, float], q: tuple[float, float]) -> Optional[str]:
        s1, s2 = self._side(p), self._side(q)
        if s1 == 0 or s1 * s2 > 0 or s2 == 0 and s1 == 0:
            return None
        if s2 == 0:
            return None
        # The movement segment must cross the line segment itself (not its extension).
        (ax, ay), (bx, by) = self.a, self.b
        d1 = (q[0] - p[0]) * (ay - p[1]) - (q[1] - p[1]) * (ax - p[0])
        d2 = (q[0] - p[0]) * (by - p[1]) - (q[1] - p[1]) * (bx - p[0])
        if d1 * d2 > 0:
            return None
        return "in" if s1 < 0 < s2 else "out"

    def __call__(self, result: dict, frame: Any, stream: Any) -> Optional[dict]:
        current = [(x, y) for x, y, _ in positions(result)]
        crossed = {"in": 0, "out": 0}
        free = list(self.previous)
        for point in current:
            if not free:
                break
            nearest = min(free, key=lambda q: (q[0] - point[0]) ** 2 + (q[1] - point[1]) ** 2)
            if ((nearest[0] - point[0]) ** 2 + (nearest[1] - point[1]) ** 2) ** 0.5 > self.max_distance:
                continue
            free.remove(nearest)
            direction = self._crosses(nearest, point)
            if direction:
                crossed[direction] += 1
        self.previous = current
        for k, v in crossed.items():
            self.totals[k] += v
        _counts(result, self.name).update({"in": self.totals["in"], "out": self.totals["out"],
                                           "crossed_now": crossed["in"] + crossed["out"]})
        return result

    def summary(self) -> dict:
        return dict(self.totals)


class ZoneCount:
    def __init__(self, polygon: Any = ((0, 0), (1, 0), (1, 1), (0, 1)), name: str = "zone_count"):
        if isinstance(polygon, (str, bytes)) or not hasattr(polygon, "__len__") or not 3 <= len(polygon) <= 1000:
            raise ValueError(f"polygon: expected at least three points (at most 1000) [[x, y], …], got {polygon!r}")
        self.polygon = [_point(p, f"polygon[{i}]") for i, p in enumerate(polygon)]
        self.name = _label(name, "name")
        self.max_inside = 0
        self.frames_occupied = 0

    def contains(self, x: float, y: float) -> bool:
        inside = False
        pts = self.polygon
        j = len(pts) - 1
        for i in range(len(pts)):
            (xi, yi), (xj, yj) = pts[i], pts[j]
            if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
                inside = not inside
            j = i
        return inside

    def __call__(self, result: dict, frame: Any, stream: Any) -> Optional[dict]:
        inside = sum(1 for x, y, _ in positions(result) if self.contains(x, y))
        self.max_inside = max(self.max_inside, inside)
        self.frames_occupied += 1 if inside else 0
        _counts(result, self.name).update({"inside": inside})
        return result

    def summary(self) -> dict:
        return {"max_inside": self.max_inside, "frames_occupied": self.frames_occupied}


def score_filter(**settings: Any) -> ScoreFilter:
    return ScoreFilter(**settings)


def label_filter(**settings: Any) -> LabelFilter:
    return LabelFilter(**settings)


def line_counter(**settings: Any) -> LineCounter:
    return LineCounter(**settings)


def zone_count(**settings: Any) -> ZoneCount:
    return ZoneCount(**settings)
