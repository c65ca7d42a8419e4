"""pose: MoveNet single-pose ``[1, 1, 17, 3]`` (17 keypoints x (y, x, score), normalized to the input)
and multi-pose ``[1, P, 56]`` (P <= 10 people: 17 x (y, x, score), then ymin, xmin, ymax, xmax, score).

Result: ``{"kind": "pose", "poses": [{"score", "label": "person", "box", "box_px",
"keypoints": [{"name", "x", "y", "nx", "ny", "score", "visible"}]}]}``: ``x``, ``y`` in frame pixels,
``nx``, ``ny`` normalized 0..1 (the model input is the whole frame resized, so input-normalized is
frame-normalized). Every keypoint the model gives is kept, in the model's order (index-based consumers
rely on it); ``visible`` says whether its score reaches ``min_keypoint_score`` (default 0.2): only visible
keypoints are drawn and make the box. A pose's score: single-pose, the mean of its 17 keypoint scores;
multi-pose, the model's. Poses below ``score_threshold`` (unset: 0.2) are left out, highest first. The
box: multi-pose, the model's; single-pose, around the visible keypoints (absent when none is visible).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from .boxes import prediction
from .classification import threshold
from .outputs import dequantize

KEYPOINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
             "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
             "right_knee", "left_ankle", "right_ankle")
# Pairs of keypoint indices drawn as the skeleton.
EDGES = ((0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11), (6, 12), (11, 12),
         (11, 13), (13, 15), (12, 14), (14, 16))
DEFAULT_SCORE_THRESHOLD = 0.2
DEFAULT_MIN_KEYPOINT_SCORE = 0.2
MULTI_WIDTH = 17 * 3 + 5


def _keypoints(rows: Any, width: int, height: int, minimum: float) -> list[dict]:
    out = []
    for name, (y, x, score) in zip(KEYPOINTS, rows):
        finite = all(math.isfinite(float(v)) for v in (y, x, score))
        nx, ny, s = (float(x), float(y), float(score)) if finite else (0.0, 0.0, 0.0)
        out.append({"name": name, "x": round(nx * width, 2), "y": round(ny * height, 2),
                    "nx": round(nx, 6), "ny": round(ny, 6), "score": round(s, 6),
                    "visible": bool(finite and s >= minimum)})
    return out


def keypoint_box(keypoints: list, width: int, height: int) -> dict:
    """``box`` (normalized) and ``box_px`` around the visible keypoints; {} when none is visible."""
    seen = [k for k in keypoints if k.get("visible", True)]
    if not seen:
        return {}
    box = prediction(0, 0.0, (min(k["nx"] for k in seen), min(k["ny"] for k in seen),
                              max(k["nx"] for k in seen), max(k["ny"] for k in seen)), {}, width, height)
    return {"box": box["box"], "box_px": box["box_px"]}


class Pose:
    task = "pose"

    def match(self, details: Sequence[Mapping[str, Any]]) -> str | None:
        if len(details) != 1:
            return None
        shape = tuple(details[0]["shape"])
        if shape == (1, 1, 17, 3):
            return "one output [1, 1, 17, 3]: MoveNet single-pose (17 keypoints: y, x, score)"
        if len(shape) == 3 and shape[0] == 1 and 1 <= shape[1] <= 10 and shape[2] == MULTI_WIDTH:
            return f"one output {list(shape)}: MoveNet multi-pose ({shape[1]} people x 17 keypoints + box)"
        return None

    def decode(self, outputs: list, details: Sequence[Mapping[str, Any]], options: Mapping[str, Any]) -> dict:
        values = dequantize(outputs[0], details[0])
        width, height = int(options.get("width") or 1), int(options.get("height") or 1)
        minimum = threshold(options, DEFAULT_SCORE_THRESHOLD)
        kp_min = options.get("min_keypoint_score")
        kp_min = DEFAULT_MIN_KEYPOINT_SCORE if kp_min is None else float(kp_min)
        poses = []
        if values.shape[-1] == 3:
            rows = values.reshape(17, 3)
            score = float(rows[:, 2].astype("float64").mean()) if all(map(math.isfinite, rows[:, 2])) \
                else math.nan
            if math.isfinite(score) and score >= minimum:
                keypoints = _keypoints(rows, width, height, kp_min)
                poses.append({"score": round(score, 6), "label": "person", "keypoints": keypoints,
                              **keypoint_box(keypoints, width, height)})
        else:
            for person in values.reshape(-1, MULTI_WIDTH):
                score = float(person[55])
                if not math.isfinite(score) or score < minimum:
                    continue
                box = prediction(0, score, (person[52], person[51], person[54], person[53]), {}, width, height)
                poses.append({"score": round(score, 6), "label": "person",
                              "keypoints": _keypoints(person[:51].reshape(17, 3), width, height, kp_min),
                              "box": box["box"], "box_px": box["box_px"]})
            poses.sort(key=lambda p: -p["score"])
        return {"kind": self.task, "poses": poses}


DECODER = Pose()
