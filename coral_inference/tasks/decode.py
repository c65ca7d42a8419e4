"""Which task a model performs, and its decoder: ``prepare_decoder`` (the result of each task: docs/streams.md "Model tasks").

``task=auto`` asks every registered decoder (registry kind "decoder", raw aside) whether it recognises
the output signature (``match(details)`` -> reason | None). Exactly one: that task. None or several:
``raw``, with one warning naming the key to set. The built-in rules are disjoint (docs/streams.md "Model tasks"):

* classification: one output ``[1, N]`` (or ``[1, 1, 1, N]``), N >= 2;
* detection: four outputs of the SSD post-processing op, or one YOLO output ``[1, 4 + C, N]`` / ``[1, N, 4 + C]``
  (float or quantized 8-bit, N >= 64);
* segmentation: one output ``[1, H, W]`` of integer class ids, or ``[1, H, W, C]`` scores (H, W >= 8);
* pose: one output ``[1, 1, 17, 3]`` (MoveNet single-pose) or ``[1, P, 56]`` (multi-pose, P <= 10).

A task set explicitly must match the outputs too (pose on a classifier is a ConfigError naming the key).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from ..errors import ConfigError, Problem
from .outputs import normalize, signature

AUTO = "auto"
RAW = "raw"
BUILTIN_TASKS = ("classification", "detection", "segmentation", "pose", "raw")


def expected_tasks(registry: Any) -> str:
    names = [AUTO] + [n for n in registry.names("decoder")]
    return " | ".join(names)


def _match(decoder: Any, details: list) -> str | None:
    try:
        reason = decoder.match(details)
    except Exception:  # a plugin decoder that cannot read these details does not recognise them
        return None
    return str(reason) if reason else None


@dataclass
class PreparedDecoder:
    """A decoder bound to one model's outputs, labels and options: ``dec(outputs, width, height)``."""

    task: str
    reason: str
    warning: str | None
    decoder: Any
    details: list
    options: dict = field(default_factory=dict)

    def __call__(self, outputs: list, width: int, height: int) -> dict:
        result = self.decoder.decode(outputs, self.details, {**self.options, "width": width, "height": height})
        result.setdefault("kind", self.task)
        return result

    def describe(self) -> dict:
        return {"task": self.task, "reason": self.reason, "warning": self.warning}


def _fail(key: str, task: str, message: str, expected: str) -> ConfigError:
    problem = Problem(key, message, value=task, expected=expected)
    return ConfigError("Invalid configuration: 1 problem", problems=[problem])


def choose(task: str, details: Sequence[Mapping[str, Any]], registry: Any, key: str = "model.task") \
        -> tuple[str, str, str | None]:
    """(task, reason, warning) for these outputs; ConfigError when ``task`` is unknown or contradicts them."""
    details = normalize(details)
    sig = signature(details)
    if task == AUTO:
        found = [(name, reason) for name, dec in registry.items("decoder") if name != RAW
                 for reason in [_match(dec, details)] if reason]
        if len(found) == 1:
            return found[0][0], f"auto: {found[0][1]}", None
        what = ("no task recognises" if not found else
                "several tasks match (" + ", ".join(name for name, _ in found) + ")")
        warning = (f"{key}=auto: {what} the outputs {sig}; the model runs as raw (outputs reported, never a label). "
                   f"Set {key} to the model's task: {expected_tasks(registry)}")
        return RAW, f"auto: {what} the outputs {sig}", warning
    decoder = registry.get("decoder", task)
    if decoder is None:
        close = difflib.get_close_matches(task, registry.names("decoder"), n=1)
        raise _fail(key, task, f"no task {task!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
                    f"{expected_tasks(registry)} (a plugin adds a task by registering a decoder)")
    reason = _match(decoder, details)
    if reason is None:
        auto, why, _ = choose(AUTO, details, registry, key)
        hint = f"auto would choose {auto} ({why.removeprefix('auto: ')})" if auto != RAW else "set raw"
        raise _fail(key, task, f"task {task!r} contradicts the model's outputs {sig}",
                    f"a task whose outputs these are: {hint}")
    return task, reason, None


def prepare_decoder(task: str, output_details: Sequence[Mapping[str, Any]], labels: Mapping[int, str] | None,
                    options: Mapping[str, Any] | None, registry: Any, key: str = "model.task") -> PreparedDecoder:
    """The decoder for ``task`` (or what auto chooses) bound to these outputs; see the module doc.

    ``options``: top_k, score_threshold, iou_threshold, max_detections, min_keypoint_score (None: the
    task's default), input_size (w, h) of the model input (YOLO pixel boxes)."""
    details = normalize(output_details)
    chosen, reason, warning = choose(task or AUTO, details, registry, key)
    return PreparedDecoder(chosen, reason, warning, registry.get("decoder", chosen), details,
                           {**dict(options or {}), "labels": dict(labels or {})})


def input_size(input_details: Sequence[Mapping[str, Any]] | None) -> tuple[int, int] | None:
    """(width, height) of an NHWC image input (the first input), else None."""
    if not input_details:
        return None
    shape = [int(x) for x in input_details[0].get("shape", ())]
    return (shape[2], shape[1]) if len(shape) == 4 else None


def options_from(run: Any, input_details: Sequence[Mapping[str, Any]] | None = None) -> dict:
    """The decoder options from the run settings (``config.run``) and, when given, the model's input
    details (``input_size``: YOLO boxes in input pixels): what ``prepare_decoder`` takes."""
    options = {"top_k": getattr(run, "top_k", 3), "score_threshold": getattr(run, "score_threshold", None),
               "iou_threshold": getattr(run, "iou_threshold", 0.45),
               "max_detections": getattr(run, "max_detections", 100),
               "min_keypoint_score": getattr(run, "min_keypoint_score", 0.2)}
    size = input_size(input_details)
    if size:
        options["input_size"] = size
    return options
