"""YOLO-style raw detection output (Ultralytics Edge TPU / TFLite exports): one tensor ``[1, 4 + C, N]``
or transposed ``[1, N, 4 + C]``: per candidate box cx, cy, w, h then C class scores, no post-processing.

Recognised when the output is float (or quantized 8-bit), 4 + C >= 5 and N >= 64 candidates (exports
have 2100 at 320x320, 8400 at 640x640), N > 4 + C. The box values are normalized (Ultralytics divides
by the input size in TFLite exports) or in input pixels, told apart by range (any value above 1.5:
pixels); pixels are divided by ``options["input_size"]`` (width, height) when given, else by the
square input size that has N candidates at strides 8, 16 and 32 (N = 21 * S * S / 1024).
Candidates below the score threshold are dropped, then non-max suppression per class in numpy
(``iou_threshold``), at most ``max_detections``.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from .boxes import nms, prediction
from .outputs import dequantize, is_integer

MIN_CANDIDATES = 64


def _dims(details: Sequence[Mapping[str, Any]]) -> tuple[int, int, bool] | None:
    """(channels 4 + C, candidates N, channels first) when the outputs look like a YOLO head."""
    if len(details) != 1:
        return None
    d = details[0]
    shape = tuple(d["shape"])
    if len(shape) != 3 or shape[0] != 1:
        return None
    if is_integer(d) and not (d["quantization"][0] and d["dtype"] in ("int8", "uint8")):
        return None  # integers that are not quantized scores: class ids, not boxes
    a, b = shape[1], shape[2]
    channels, candidates = min(a, b), max(a, b)
    if channels < 5 or candidates < MIN_CANDIDATES or candidates <= channels:
        return None
    return channels, candidates, a <= b


def match(details: Sequence[Mapping[str, Any]]) -> str | None:
    dims = _dims(details)
    if dims is None:
        return None
    channels, candidates, first = dims
    layout = f"[1, 4 + {channels - 4}, {candidates}]" if first else f"[1, {candidates}, 4 + {channels - 4}]"
    return (f"one output {list(details[0]['shape'])} = {layout}: YOLO boxes (cx, cy, w, h) and "
            f"{channels - 4} class scores for {candidates} candidates")


def _input_size(options: Mapping[str, Any], candidates: int) -> tuple[float, float]:
    size = options.get("input_size")
    if size:
        return float(size[0]), float(size[1])
    side = math.sqrt(candidates * 1024 / 21)
    return side, side


def decode(outputs: list, details: Sequence[Mapping[str, Any]], options: Mapping[str, Any],
           minimum: float) -> list[dict]:
    import numpy as np

    channels, candidates, first = _dims(details)
    values = dequantize(outputs[0], details[0]).reshape(details[0]["shape"][1:])
    cf = values if first else values.T  # [4 + C, N]: one row per channel
    scores_cf = cf[4:]
    with np.errstate(all="ignore"):
        best = scores_cf.max(axis=0)  # NaN and +inf make a column's best non-finite
        keep = np.isfinite(best) & (best >= minimum) & np.all(np.isfinite(cf[:4]), axis=0)
        if not np.isfinite(best).all():  # a NaN or inf somewhere: the best finite score of each candidate
            finite = np.where(np.isfinite(scores_cf), scores_cf, -np.inf)
            best = finite.max(axis=0)
            keep = np.isfinite(best) & (best >= minimum) & np.all(np.isfinite(cf[:4]), axis=0)
            scores_cf = finite
    index = np.nonzero(keep)[0]
    classes = np.argmax(scores_cf[:, index], axis=0)
    scores = best[index]
    xywh = cf[:4, index].T.astype(np.float32)
    if xywh.size and float(np.abs(xywh).max()) > 1.5:  # input pixels
        w, h = _input_size(options, candidates)
        xywh = xywh / np.asarray([w, h, w, h], dtype=np.float32)
    boxes = np.stack([xywh[:, 0] - xywh[:, 2] / 2, xywh[:, 1] - xywh[:, 3] / 2,
                      xywh[:, 0] + xywh[:, 2] / 2, xywh[:, 1] + xywh[:, 3] / 2], axis=1) if xywh.size \
        else np.zeros((0, 4), np.float32)
    limit = int(options.get("max_detections") or 100)
    with np.errstate(all="ignore"):  # huge boxes overflow to inf: such an IoU is NaN and suppresses nothing
        boxes = np.clip(boxes, -1.0, 2.0)
        kept = nms(boxes, scores, classes, float(options.get("iou_threshold", 0.45)), limit)
    labels = options.get("labels") or {}
    width, height = int(options.get("width") or 1), int(options.get("height") or 1)
    return [prediction(int(classes[i]), scores[i], boxes[i], labels, width, height) for i in kept]
