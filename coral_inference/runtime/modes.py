"""Run modes after init (run.mode): name -> "module:function" taking the RuntimeContext and
returning a JSON-able dict stored in the summary under results.<mode>. `init` and `validate`
need no runner."""

from __future__ import annotations

from typing import Any, Callable

from ..lazy import load

RUNNERS: dict[str, str] = {
    "pipeline": "coral_inference.pipeline.run:run",
    "bench": "coral_inference.runtime.bench:run",
    "serve": "coral_inference.web.serve:run",
}


def get(mode: str) -> Callable[[Any], dict[str, Any]] | None:
    target = RUNNERS.get(mode)
    return load(target) if target else None
