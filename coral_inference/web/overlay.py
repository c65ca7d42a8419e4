"""The annotation drawn on preview frames: the tasks' ``draw`` (boxes and labels, class masks,
keypoint skeletons) when it is there, else a small overlay of the same result shape."""

from __future__ import annotations

from typing import Any, Callable


def drawer() -> Callable[[Any, dict], Any]:
    """``draw(frame_bgr, result) -> annotated copy``."""
    try:
        from ..tasks.draw import draw
    except ImportError:
        return simple
    return draw


def simple(frame: Any, result: dict) -> Any:
    import cv2

    out = frame.copy()
    h, w = out.shape[:2]
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, max(0.4, w / 1000)
    lines = [f"{result.get('stream', '')} #{result.get('frame', '')} {result.get('kind', '')}".strip()]
    for p in (result.get("predictions") or [])[:5]:
        name = p.get("label") or p.get("class")
        box = p.get("box_px")
        if box:
            x1, y1, x2, y2 = (int(v) for v in box)
            cv2.rectangle(out, (x1, y1), (x2, y2), (0, 255, 0), 2)
            cv2.putText(out, f"{name} {p.get('score', 0):.2f}", (x1, max(12, y1 - 4)), font, scale, (0, 255, 0), 1)
        else:
            lines.append(f"{name} {p.get('score', 0):.2f}")
    for pose in result.get("poses") or []:
        for k in pose.get("keypoints") or []:
            cv2.circle(out, (int(k.get("x", 0)), int(k.get("y", 0))), 3, (0, 200, 255), -1)
    for i, text in enumerate(lines):
        y = int(18 * (i + 1) * max(1.0, scale / 0.5))
        cv2.putText(out, text, (6, y), font, scale, (0, 0, 0), 3)
        cv2.putText(out, text, (6, y), font, scale, (255, 255, 255), 1)
    return out
