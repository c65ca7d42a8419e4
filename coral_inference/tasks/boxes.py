"""Box helpers shared by the detection decoders: one prediction dict, and non-max suppression in numpy."""

from __future__ import annotations

import math
from typing import Any, Mapping


def prediction(cls: int, score: float, box: Any, labels: Mapping[int, str], width: int, height: int) -> dict:
    """``box``: normalized [xmin, ymin, xmax, ymax] (clipped to 0..1 here); ``box_px`` in frame pixels."""
    x0, y0, x1, y1 = (min(1.0, max(0.0, float(v))) if math.isfinite(float(v)) else 0.0 for v in box)
    px = [int(round(x0 * width)), int(round(y0 * height)), int(round(x1 * width)), int(round(y1 * height))]
    return {"class": int(cls), "label": labels.get(int(cls)), "score": round(float(score), 6),
            "box": [round(x0, 6), round(y0, 6), round(x1, 6), round(y1, 6)], "box_px": px}


def nms(boxes: Any, scores: Any, classes: Any, iou_threshold: float, limit: int) -> list[int]:
    """Indices kept by greedy non-max suppression per class, highest score first, at most ``limit``.

    ``boxes``: [N, 4] xmin, ymin, xmax, ymax (normalized). Boxes of different classes never suppress
    each other (each class is shifted by 2 on both axes, beyond the others' 0..1 range)."""
    import numpy as np

    shifted = boxes + (np.asarray(classes, dtype=np.float32) * 2.0)[:, None]
    x0, y0, x1, y1 = shifted[:, 0], shifted[:, 1], shifted[:, 2], shifted[:, 3]
    areas = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep: list[int] = []
    while order.size and len(keep) < limit:
        i, rest = int(order[0]), order[1:]
        keep.append(i)
        w = np.clip(np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]), 0, None)
        h = np.clip(np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]), 0, None)
        inter = w * h
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-12)
        order = rest[iou <= iou_threshold]
    return keep
