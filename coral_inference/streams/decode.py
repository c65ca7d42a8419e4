"""A stream's decoder: model outputs -> one result of the model's task (the result shape of INTERFACES.md).

Uses the tasks API (coral_inference.tasks.decode.prepare_decoder) when it is installed; until then, a
small built-in fallback (classification top-k, SSD-style detection) with the same result shape.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

Decode = Callable[[list, int, int], dict]


def make_decoder(model: Any, output_details: list, registry: Any, run: Any, key: str) -> tuple[Decode, dict]:
    """(decode(outputs, width, height) -> result, labels)."""
    options = {"top_k": run.top_k, "score_threshold": run.score_threshold, "iou_threshold": 0.5,
               "max_detections": max(run.top_k, 25), "min_keypoint_score": 0.2}
    try:
        from ..tasks.decode import prepare_decoder
        from ..tasks.labels import load_labels as task_labels
    except ImportError:
        labels = load_labels(model.labels)
        return (lambda outputs, width, height: _fallback(outputs, output_details, labels, run.top_k,
                                                         run.score_threshold, width, height)), labels
    labels = task_labels(model.labels, model.path)
    decoder = prepare_decoder(getattr(model, "task", "auto"), output_details, labels, options, registry, key=key)
    return decoder, labels


def load_labels(path: str | None) -> dict[int, str]:
    """Line N is class N, or lines of the form 'N label' (all of them)."""
    if not path:
        return {}
    lines = [l.rstrip("\n") for l in Path(path).expanduser().read_text(encoding="utf-8").splitlines()]
    pairs = [re.match(r"^\s*(\d+)[\s:]+(.+?)\s*$", l) for l in lines if l.strip()]
    if pairs and all(pairs):
        return {int(m.group(1)): m.group(2) for m in pairs}
    return {i: l.strip() for i, l in enumerate(lines)}


def _dequantize(array: Any, detail: dict) -> Any:
    import numpy as np

    scale, zero = detail.get("quantization", (0.0, 0))
    if scale and np.issubdtype(array.dtype, np.integer):
        return (array.astype(np.float32) - zero) * scale
    return array.astype(np.float32)


def _fallback(outputs: list, details: list, labels: dict, top_k: int, threshold: float, width: int,
              height: int) -> dict:
    import numpy as np

    values = [_dequantize(o, d) for o, d in zip(outputs, details)]
    if len(values) == 4 and any(v.ndim == 3 and v.shape[-1] == 4 for v in values):
        return {"kind": "detection", "predictions": _detections(values, details, labels, top_k, threshold, width, height)}
    flat = values[0].reshape(-1)
    order = np.argsort(-flat, kind="stable")[:top_k]
    return {"kind": "classification", "predictions": [
        {"class": int(i), "label": labels.get(int(i)), "score": round(float(flat[i]), 6)}
        for i in order if float(flat[i]) >= threshold]}


def _detections(values: list, details: list, labels: dict, k: int, threshold: float, width: int, height: int) -> list:
    boxes = next(v for v in values if v.ndim == 3 and v.shape[-1] == 4)[0]
    rest = [(v, d) for v, d in zip(values, details) if not (v.ndim == 3 and v.shape[-1] == 4)]
    count_item = next((p for p in rest if p[0].size == 1), rest[-1])
    rest = [p for p in rest if p is not count_item]
    named = {("score" if "score" in str(d.get("name", "")).lower() else
              "class" if "class" in str(d.get("name", "")).lower() else None): v for v, d in rest}
    classes = named.get("class", rest[0][0]).reshape(-1)
    scores = named.get("score", rest[1][0]).reshape(-1)
    count = min(int(count_item[0].reshape(-1)[0]), len(scores))
    found = []
    for i in range(count):
        if scores[i] < threshold:
            continue
        ymin, xmin, ymax, xmax = (min(1.0, max(0.0, float(x))) for x in boxes[i])
        found.append({"class": int(classes[i]), "label": labels.get(int(classes[i])), "score": round(float(scores[i]), 6),
                      "box": [round(xmin, 6), round(ymin, 6), round(xmax, 6), round(ymax, 6)],
                      "box_px": [int(xmin * width), int(ymin * height), int(xmax * width), int(ymax * height)]})
    return sorted(found, key=lambda p: -p["score"])[:k]
