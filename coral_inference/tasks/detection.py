"""detection: SSD (TFLite_Detection_PostProcess, ssd.py) or YOLO raw output (yolo.py).

Result: ``{"kind": "detection", "predictions": [{"class", "label", "score", "box", "box_px"}]}``: ``box``
normalized [xmin, ymin, xmax, ymax] (0..1), ``box_px`` [x1, y1, x2, y2] in frame pixels; highest score
first, each at least ``score_threshold`` (unset: 0.4, pycoral's detect example), at most ``max_detections``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from . import ssd, yolo
from .classification import threshold

DEFAULT_SCORE_THRESHOLD = 0.4


class Detection:
    task = "detection"

    def match(self, details: Sequence[Mapping[str, Any]]) -> str | None:
        return ssd.match(details) or yolo.match(details)

    def decode(self, outputs: list, details: Sequence[Mapping[str, Any]], options: Mapping[str, Any]) -> dict:
        minimum = threshold(options, DEFAULT_SCORE_THRESHOLD)
        found = (ssd.decode(outputs, details, options, minimum) if ssd.shape_roles(details) is not None
                 else yolo.decode(outputs, details, options, minimum))
        return {"kind": self.task, "predictions": found}


DECODER = Detection()
