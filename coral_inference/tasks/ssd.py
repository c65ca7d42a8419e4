"""SSD detection: the four outputs of the TFLite_Detection_PostProcess op (boxes [1, N, 4] as normalized
ymin, xmin, ymax, xmax; classes [1, N]; scores [1, N]; count [1]).

TF1 exports list them in that order; TF2 exports (EfficientDet-Lite) in another. As pycoral does, the
roles come from the output names when they tell (``TFLite_Detection_PostProcess:k`` is the op's k-th
output: boxes, classes, scores, count; ``StatefulPartitionedCall:k`` is the TF2 signature's output_k:
count, scores, classes, boxes; or the words box/class/score/count in a name), else from the shapes:
boxes are the [1, N, 4], count the size-1 tensor; of the two [1, N] tensors the classes are the one
whose values are all integers, and when both (or neither) are, pycoral's order: count last = TF1
(classes before scores), else TF2 (scores first, classes last).
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping, Sequence

from .boxes import prediction
from .outputs import dequantize

TF1 = ("boxes", "classes", "scores", "count")
TF2 = ("count", "scores", "classes", "boxes")
_NAMED = ((re.compile(r"TFLite_Detection_PostProcess(?::(\d))?$"), TF1),
          (re.compile(r"StatefulPartitionedCall:(\d)$"), TF2))
_WORDS = (("boxes", "box"), ("classes", "class"), ("scores", "score"), ("count", "num"), ("count", "count"))


def _size(shape: Sequence[int]) -> int:
    return math.prod(shape) if shape else 1


def shape_roles(details: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """{"boxes": i, "count": j, "pair": (a, b)} when the four outputs have SSD shapes, else None."""
    if len(details) != 4:
        return None
    shapes = [tuple(d["shape"]) for d in details]
    boxes = [i for i, s in enumerate(shapes) if len(s) == 3 and s[0] == 1 and s[2] == 4]
    count = [i for i, s in enumerate(shapes) if _size(s) == 1]
    if len(boxes) != 1 or len(count) != 1:
        return None
    n = shapes[boxes[0]][1]
    pair = [i for i in range(4) if i not in (boxes[0], count[0])]
    if any(_size(shapes[i]) != n or shapes[i][0] != 1 for i in pair):
        return None
    return {"boxes": boxes[0], "count": count[0], "pair": tuple(pair)}


def named_roles(details: Sequence[Mapping[str, Any]]) -> dict[str, int] | None:
    """{"classes": i, "scores": j} when the output names say which is which, else None."""
    roles: dict[str, int] = {}
    for i, d in enumerate(details):
        name = str(d.get("name", ""))
        for pattern, order in _NAMED:
            m = pattern.search(name)
            if m:
                k = int(m.group(1) or 0)
                if k < 4:
                    roles.setdefault(order[k], i)
                break
        else:
            low = name.lower()
            role = next((r for r, word in _WORDS if word in low), None)
            if role:
                roles.setdefault(role, i)
    if "classes" in roles and "scores" in roles and roles["classes"] != roles["scores"]:
        return {"classes": roles["classes"], "scores": roles["scores"]}
    return None


def match(details: Sequence[Mapping[str, Any]]) -> str | None:
    roles = shape_roles(details)
    if roles is None:
        return None
    n = details[roles["boxes"]]["shape"][1]
    how = "output names" if named_roles(details) else "shapes and values"
    return (f"four outputs: boxes [1, {n}, 4], classes and scores [1, {n}], count [1] "
            f"(SSD TFLite_Detection_PostProcess; classes and scores told apart by {how})")


def _integral(values: Any) -> bool:
    import numpy as np

    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def classes_scores(values: list, details: Sequence[Mapping[str, Any]], roles: dict) -> tuple[int, int]:
    named = named_roles(details)
    if named:
        return named["classes"], named["scores"]
    a, b = roles["pair"]
    ia, ib = _integral(values[a]), _integral(values[b])
    if ia != ib:
        return (a, b) if ia else (b, a)
    return (a, b) if roles["count"] == 3 else (b, a)  # pycoral: count last = TF1 order


def decode(outputs: list, details: Sequence[Mapping[str, Any]], options: Mapping[str, Any],
           minimum: float) -> list[dict]:
    roles = shape_roles(details)
    values = [dequantize(o, d) for o, d in zip(outputs, details)]
    ci, si = classes_scores(values, details, roles)
    boxes = values[roles["boxes"]].reshape(-1, 4)
    classes, scores = values[ci].reshape(-1), values[si].reshape(-1)
    import numpy as np

    raw_count = float(values[roles["count"]].reshape(-1)[0])
    count = max(0, min(int(raw_count), len(scores))) if np.isfinite(raw_count) else 0
    usable = np.isfinite(scores) & np.isfinite(classes) & np.all(np.isfinite(boxes), axis=1) \
        & (np.abs(classes) < 2 ** 31)
    labels = options.get("labels") or {}
    width, height = int(options.get("width") or 1), int(options.get("height") or 1)
    found = [prediction(int(classes[i]), scores[i], (boxes[i][1], boxes[i][0], boxes[i][3], boxes[i][2]),
                        labels, width, height)
             for i in range(count) if usable[i] and scores[i] >= minimum]
    found.sort(key=lambda p: -p["score"])
    return found[: int(options.get("max_detections") or len(found) or 1)]
