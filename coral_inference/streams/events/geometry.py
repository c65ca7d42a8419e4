"""Plane geometry of zones, lines and boxes, in normalized coordinates (0..1 of the frame); pure
functions on tuples, no numpy (a frame has a handful of objects)."""

from __future__ import annotations

from typing import Optional, Sequence

Point = tuple[float, float]
Box = Sequence[float]  # xmin, ymin, xmax, ymax


def centre(box: Box) -> Point:
    return (float(box[0]) + float(box[2])) / 2.0, (float(box[1]) + float(box[3])) / 2.0


def contains(polygon: Sequence[Point], x: float, y: float) -> bool:
    """Whether (x, y) is inside ``polygon`` (even-odd rule; a point on an edge may fall either way)."""
    inside = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        (xi, yi), (xj, yj) = polygon[i], polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def side(a: Point, b: Point, p: Point) -> float:
    """> 0: ``p`` is right of the direction a -> b (image coordinates, y down); < 0: left; 0: on it."""
    return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])


def crossing(a: Point, b: Point, p: Point, q: Point) -> Optional[str]:
    """How the movement p -> q crosses the segment a-b: ``in`` (from its left to its right), ``out``
    (the other way), or None (it stays on one side, or passes beside the segment, beyond its ends). A
    point exactly on the line counts as left of it, so an object stepping onto the line and then off it
    crosses once, never twice or not at all."""
    s1, s2 = side(a, b, p), side(a, b, q)
    if (s1 > 0) == (s2 > 0):
        return None
    d1, d2 = side(p, q, a), side(p, q, b)
    if d1 != 0 and d2 != 0 and (d1 > 0) == (d2 > 0):
        return None
    return "in" if s2 > 0 else "out"


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when either has no area)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
