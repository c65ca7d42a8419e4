"""Run modes after init (run.mode): name -> "module:function" taking the RuntimeContext and
returning a JSON-able dict stored in the summary under results.<mode>. `init` and `validate`
need no runner."""

from __future__ import annotations

import importlib
from typing import Any, Callable

RUNNERS: dict[str, str] = {}
RUNNERS["pipeline"] = "coral_inference.pipeline.run:run"
RUNNERS["bench"] = "coral_inference.runtime.bench:run"


def get(mode: str) -> Callable[[Any], dict[str, Any]] | None:
    target = RUNNERS.get(mode)
    if target is None:
        return None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
