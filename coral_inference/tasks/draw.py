"""Drawing a result on its frame (recordings, the live preview): ``draw(frame_bgr, result)`` -> a copy.

detection: a box per prediction in its class colour with "label score"; segmentation: the class mask
(``result["_mask"]``) blended over the frame at 45 %, with the largest classes named; pose: keypoints and
the skeleton between them; classification: the top predictions as text; raw: the number of outputs.
"""

from __future__ import annotations

from typing import Any

from .mask import bright_bgr, colour_bgr, colour_mask
from .pose import EDGES, KEYPOINTS

FONT_SCALE = 0.45
MASK_ALPHA = 0.45


def _text(cv2: Any, image: Any, text: str, origin: tuple[int, int], colour: tuple[int, int, int]) -> None:
    """Text on a dark backing so it reads on any frame."""
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, FONT_SCALE, 1)
    x, y = max(0, origin[0]), max(h + 2, origin[1])
    cv2.rectangle(image, (x, y - h - 3), (x + w + 4, y + base - 1), (0, 0, 0), -1)
    cv2.putText(image, text, (x + 2, y - 1), cv2.FONT_HERSHEY_SIMPLEX, FONT_SCALE, colour, 1, cv2.LINE_AA)


def _name(p: dict) -> str:
    return str(p.get("label") if p.get("label") is not None else p.get("class"))


def _detection(cv2: Any, image: Any, result: dict) -> None:
    for p in result.get("predictions", []):
        x0, y0, x1, y1 = (int(v) for v in p["box_px"])
        colour = bright_bgr(p.get("class", 0))
        cv2.rectangle(image, (x0, y0), (x1, y1), colour, 2)
        _text(cv2, image, f"{_name(p)}{_track(p)} {p['score']:.2f}", (x0, y0 - 2), colour)


def _track(p: dict) -> str:
    return f" #{p['track_id']}" if p.get("track_id") is not None else ""


def _segmentation(cv2: Any, image: Any, result: dict) -> None:
    import numpy as np

    mask = result.get("_mask")
    if mask is not None:
        height, width = image.shape[:2]
        classes = cv2.resize(np.asarray(mask), (width, height), interpolation=cv2.INTER_NEAREST)
        coloured = colour_mask(classes)
        region = classes > 0  # class 0 (background) stays as it is
        blended = cv2.addWeighted(image, 1.0 - MASK_ALPHA, coloured, MASK_ALPHA, 0)
        image[region] = blended[region]
    for i, c in enumerate([c for c in result.get("classes", []) if c["class"] != 0][:3]):
        y = 16 + 18 * i
        cv2.rectangle(image, (4, y - 11), (16, y + 1), colour_bgr(c["class"]), -1)  # the class's mask colour
        _text(cv2, image, f"{_name(c)} {c['fraction'] * 100:.1f}%", (18, y), (255, 255, 255))


def _pose(cv2: Any, image: Any, result: dict) -> None:
    index = {name: i for i, name in enumerate(KEYPOINTS)}
    for pose in result.get("poses", []):
        points = {index.get(k["name"]): (int(round(k["x"])), int(round(k["y"]))) for k in pose["keypoints"]
                  if k.get("visible", True)}
        for a, b in EDGES:
            if a in points and b in points:
                cv2.line(image, points[a], points[b], (255, 200, 0), 2, cv2.LINE_AA)
        for point in points.values():
            cv2.circle(image, point, 4, (0, 0, 255), -1, cv2.LINE_AA)
        if "box_px" in pose:
            x0, y0, x1, y1 = pose["box_px"]
            cv2.rectangle(image, (x0, y0), (x1, y1), (0, 255, 0), 1)
            if pose.get("track_id") is not None:
                _text(cv2, image, f"person{_track(pose)} {pose['score']:.2f}", (x0, y0 - 2), (0, 255, 0))


def _classification(cv2: Any, image: Any, result: dict) -> None:
    for i, p in enumerate(result.get("predictions", [])):
        _text(cv2, image, f"{_name(p)} {p['score']:.2f}", (4, 16 + 18 * i), (0, 255, 0))


def _raw(cv2: Any, image: Any, result: dict) -> None:
    _text(cv2, image, f"raw: {len(result.get('outputs', []))} output(s), task unknown", (4, 16), (0, 200, 255))


DRAWERS = {"detection": _detection, "segmentation": _segmentation, "pose": _pose,
           "classification": _classification, "raw": _raw}


def draw(frame_bgr: Any, result: dict) -> Any:
    """A copy of the frame with the result drawn on it; a kind with no drawer (a plugin's task) gets its
    name as text. The frame itself is never changed."""
    import cv2

    image = frame_bgr.copy()
    drawer = DRAWERS.get(result.get("kind"))
    if drawer is not None:
        drawer(cv2, image, result)
    else:
        _text(cv2, image, str(result.get("kind")), (4, 16), (0, 200, 255))
    return image
