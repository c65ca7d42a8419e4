"""classification: one score per class in one output, ``[1, N]`` (or ``[1, 1, 1, N]``), N >= 2.

Result: ``{"kind": "classification", "predictions": [{"class", "label", "score"}]}``: dequantized scores,
at most ``top_k``, highest first, each at least ``score_threshold`` (unset: every score is kept, like
pycoral's ``get_classes``). Non-finite scores (NaN, inf) are never reported.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .outputs import dequantize


def threshold(options: Mapping[str, Any], default: float | None) -> float | None:
    value = options.get("score_threshold")
    return default if value is None else float(value)


class Classification:
    task = "classification"

    def match(self, details: Sequence[Mapping[str, Any]]) -> str | None:
        if len(details) != 1:
            return None
        shape = tuple(details[0]["shape"])
        if len(shape) in (2, 4) and all(d == 1 for d in shape[:-1]) and shape[-1] >= 2:
            return f"one output {list(shape)}: one score per class ({shape[-1]} classes)"
        return None

    def decode(self, outputs: list, details: Sequence[Mapping[str, Any]], options: Mapping[str, Any]) -> dict:
        import numpy as np

        scores = dequantize(outputs[0], details[0]).reshape(-1)
        scores = np.where(np.isfinite(scores), scores, -np.inf)  # NaN and inf are never reported
        top_k = max(1, int(options.get("top_k") or 3))
        order = np.argsort(-scores, kind="stable")[:top_k]
        minimum = threshold(options, None)
        labels = options.get("labels") or {}
        predictions = [{"class": int(i), "label": labels.get(int(i)), "score": round(float(scores[i]), 6)}
                       for i in order if np.isfinite(scores[i]) and (minimum is None or scores[i] >= minimum)]
        return {"kind": self.task, "predictions": predictions}


DECODER = Classification()
