"""The built-in workflow blocks (registry kind "workflow"; contract: plugins/contract.py Block).

* ``score_filter(min_score, drop_empty=False)``: predictions/poses below ``min_score`` are removed;
  with ``drop_empty`` a result left with none is dropped.
* ``label_filter(include=[], exclude=[])``: keep only predictions whose label (or class id) is in
  ``include`` (when given) and not in ``exclude``.

Lines and zones are not blocks: they are named parts of a stream (``streams.<name>.lines``,
``streams.<name>.zones``) that follow tracked objects (docs/events.md; streams/events/lifecycle.py). The
blocks ``line_counter`` and ``zone_count`` of earlier versions are replaced by them (workflow.REPLACED).
"""

from __future__ import annotations

from typing import Any, Optional


def _is_number(value: Any) -> bool:
    """A real number as YAML gives it: int or float, never a bool or text ('0.5' is not coerced)."""
    import math

    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _flag(value: Any, what: str) -> bool:
    """A switch: true or false only ('false', 'no', 0 are refused, never read as true)."""
    if not isinstance(value, bool):
        raise ValueError(f"{what}: expected true or false, got {value!r}")
    return value


class ScoreFilter:
    def __init__(self, min_score: float = 0.5, drop_empty: bool = False):
        if not _is_number(min_score) or not 0.0 <= float(min_score) <= 1.0:
            raise ValueError(f"min_score: expected a number from 0 to 1, got {min_score!r}")
        self.min_score, self.drop_empty = float(min_score), _flag(drop_empty, "drop_empty")
        self.removed = 0
        self.dropped = 0

    def __call__(self, result: dict, frame: Any, stream: Any) -> Optional[dict]:
        kept_any = False
        for key in ("predictions", "poses"):
            items = result.get(key)
            if items is None:
                continue
            kept = [p for p in items if float(p.get("score", 0.0)) >= self.min_score]
            self.removed += len(items) - len(kept)
            result[key] = kept
            kept_any = kept_any or bool(kept)
        if self.drop_empty and not kept_any:
            self.dropped += 1
            return None
        return result

    def summary(self) -> dict:
        return {"removed": self.removed, "dropped_results": self.dropped}


class LabelFilter:
    def __init__(self, include: Any = (), exclude: Any = ()):
        for name, value in (("include", include), ("exclude", exclude)):
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__") or hasattr(value, "items") \
                    or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
                raise TypeError(f"{name}: expected a list of labels or class ids, got {value!r}")
        self.include = {str(v) for v in include}
        self.exclude = {str(v) for v in exclude}
        self.removed = 0

    def _keep(self, p: dict) -> bool:
        names = {str(p.get("label")), str(p.get("class"))}
        return (not self.include or bool(names & self.include)) and not (names & self.exclude)

    def __call__(self, result: dict, frame: Any, stream: Any) -> Optional[dict]:
        items = result.get("predictions")
        if items is not None:
            kept = [p for p in items if self._keep(p)]
            self.removed += len(items) - len(kept)
            result["predictions"] = kept
        return result

    def summary(self) -> dict:
        return {"removed": self.removed}


def score_filter(**settings: Any) -> ScoreFilter:
    return ScoreFilter(**settings)


def label_filter(**settings: Any) -> LabelFilter:
    return LabelFilter(**settings)
