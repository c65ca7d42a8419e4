"""Frames in, predictions out: preprocessing to the model input, decoding of its outputs, labels.

Inputs (from the interpreter's input details):
* NHWC image input: BGR -> RGB (or grey for C=1), resized with INTER_LINEAR; uint8 gets the pixels
  as they are (the Coral convention: quantized image models take raw 0-255 pixels), int8 gets
  pixel - 128, float gets (pixel - 127.5) / 127.5.
* A vector input [1, K] (e.g. builtin:selftest) gets the frame as K grey values, scaled to [-1, 1].

Outputs: one tensor -> classification (dequantized, top-k); four tensors (boxes [1,N,4], classes,
scores, count) -> SSD-style detection.
"""

from __future__ import annotations

import re
from typing import Any


def load_labels(path: str | None) -> dict[int, str]:
    """Line N is class N, or lines of the form 'N label' (all of them)."""
    if not path:
        return {}
    from ..files import read_text_checked  # a regular UTF-8 file of at most 1 MiB, else exit 2 naming it

    lines = [l.rstrip("\n") for l in read_text_checked(path, "labels file", "labels", key="model.labels").splitlines()]
    pairs = [re.match(r"^\s*(\d{1,9})[\s:]+(.+?)\s*$", l) for l in lines if l.strip()]
    if pairs and all(pairs):
        return {int(m.group(1)): m.group(2) for m in pairs}
    return {i: l.strip() for i, l in enumerate(lines)}


def to_input(frame: Any, detail: dict[str, Any]) -> Any:
    import cv2
    import numpy as np

    shape = [int(d) for d in detail["shape"]]
    dtype = np.dtype(detail["dtype"])
    if len(shape) == 4:
        height, width, channels = shape[1], shape[2], shape[3]
        code = cv2.COLOR_BGR2GRAY if channels == 1 else cv2.COLOR_BGR2RGB
        image = cv2.resize(cv2.cvtColor(frame, code), (width, height), interpolation=cv2.INTER_LINEAR)
        image = image.reshape(height, width, channels)
    else:
        size = int(np.prod(shape[1:]))
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        image = cv2.resize(grey, (size, 1), interpolation=cv2.INTER_LINEAR)
    if dtype == np.uint8:
        data = image.astype(np.uint8)
    elif dtype == np.int8:
        data = (image.astype(np.int16) - 128).astype(np.int8)
    else:
        data = ((image.astype(np.float32) - 127.5) / 127.5).astype(dtype)
    return data.reshape(shape)


def dequantize(array: Any, detail: dict[str, Any]) -> Any:
    import numpy as np

    scale, zero = detail.get("quantization", (0.0, 0))
    if scale and np.issubdtype(array.dtype, np.integer):
        return (array.astype(np.float32) - zero) * scale
    return array.astype(np.float32)


def decode(outputs: list[Any], details: list[dict[str, Any]], labels: dict[int, str], top_k: int,
           threshold: float) -> tuple[str, list[dict[str, Any]]]:
    """(kind, predictions): kind is classification or detection."""
    values = [dequantize(o, d) for o, d in zip(outputs, details)]
    if len(values) == 4 and any(v.ndim == 3 and v.shape[-1] == 4 for v in values):
        return "detection", _detections(values, details, labels, top_k, threshold)
    return "classification", _top_k(values[0], labels, top_k)


def _top_k(scores: Any, labels: dict[int, str], k: int) -> list[dict[str, Any]]:
    import numpy as np

    flat = scores.reshape(-1)
    order = np.argsort(-flat, kind="stable")[:k]
    return [{"class": int(i), "label": labels.get(int(i)), "score": round(float(flat[i]), 6)} for i in order]


def _detections(values: list[Any], details: list[dict[str, Any]], labels: dict[int, str], k: int,
                threshold: float) -> list[dict[str, Any]]:
    boxes = next(v for v in values if v.ndim == 3 and v.shape[-1] == 4)[0]
    rest = [(v, d) for v, d in zip(values, details) if not (v.ndim == 3 and v.shape[-1] == 4)]
    count_item = next((p for p in rest if p[0].size == 1), rest[-1])
    rest = [p for p in rest if p is not count_item]
    named = {("score" if "score" in str(d.get("name", "")).lower() else
              "class" if "class" in str(d.get("name", "")).lower() else None): v for v, d in rest}
    classes = named.get("class", rest[0][0]).reshape(-1)
    scores = named.get("score", rest[1][0]).reshape(-1)
    count = min(int(count_item[0].reshape(-1)[0]), len(scores))
    found = [
        {"class": int(classes[i]), "label": labels.get(int(classes[i])), "score": round(float(scores[i]), 6),
         "box": [round(float(x), 6) for x in boxes[i]]}
        for i in range(count) if scores[i] >= threshold
    ]
    return sorted(found, key=lambda p: -p["score"])[:k]
