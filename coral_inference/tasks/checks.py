"""Config check (registry kind "check", name "tasks"): ``model.task`` and every ``models.<name>.task``.

For a model file that exists (or builtin:selftest) the outputs are read from the flatbuffer
(backends/model_io.py, no interpreter; a segmented model's from its last segment, ``outputs_file``) and the task is chosen as at run time: a task that contradicts
the outputs is an error naming the key; ``auto`` that falls back to raw is a warning naming the key.
A task name no built-in decoder has may be a plugin's (plugins load after validation): a warning here,
an error at run time when no plugin registered it. What each model would get is ``tasks_for(config)``
(shown by ``coral-runtime config validate``).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from ..config.keys import model_key
from ..errors import ConfigError


def model_entries(config: Any) -> list[tuple[str, Any]]:
    """(key prefix, ModelConfig) of ``model`` and of ``models.<name>`` when that section exists."""
    entries = [("model", config.model)]
    for name, model in (getattr(config, "models", None) or {}).items():
        entries.append((model_key(name), model))
    return entries


def outputs_file(model: Any) -> str | None:
    """The file whose outputs a model's task is read from: the last of ``segments`` (the first segment
    ends inside the network; the last ends in its post-processing), else ``path``."""
    segments = list(getattr(model, "segments", None) or [])
    return segments[-1] if segments else getattr(model, "path", None)


def inputs_file(model: Any) -> str | None:
    """The file whose inputs a model takes: the first of ``segments``, else ``path``."""
    segments = list(getattr(model, "segments", None) or [])
    return segments[0] if segments else getattr(model, "path", None)


def output_details(path: str | None) -> list[dict] | None:
    """The outputs of the model at ``path`` read from its flatbuffer; None when it cannot be read here
    (a missing or bad file is check_model's problem, not this check's)."""
    from ..backends.selftest import SELFTEST, inspection

    if not path:
        return None
    if path == SELFTEST:
        return inspection()["outputs"]
    from ..files import FileProblem, read_bytes_checked

    try:
        content = read_bytes_checked(Path(path).expanduser(), "model file", "model")
    except FileProblem:
        return None
    from ..backends.model_io import read_io
    from ..backends.models import is_tflite

    if not is_tflite(content):
        return None
    try:
        return read_io(content)["outputs"]
    except ValueError:
        return None


def tasks_for(config: Any, registry: Any = None) -> dict[str, dict]:
    """{key prefix: {"task", "reason", "warning"} or {"error"}} for each model whose file can be read."""
    from ..plugins.registry import new_registry
    from .decode import prepare_decoder

    registry = registry or new_registry()
    out: dict[str, dict] = {}
    for prefix, model in model_entries(config):
        task = str(getattr(model, "task", "auto") or "auto")
        details = output_details(outputs_file(model))
        if details is None or (task != "auto" and not registry.has("decoder", task)):
            continue
        try:
            out[prefix] = prepare_decoder(task, details, {}, {}, registry, f"{prefix}.task").describe()
        except ConfigError as exc:
            out[prefix] = {"task": task, "error": exc.problems[0] if exc.problems else exc}
    return out


def check_tasks(config: Any, issues: Any) -> None:
    from ..plugins.registry import new_registry

    registry = new_registry()
    for prefix, model in model_entries(config):
        key = f"{prefix}.task"
        task = str(getattr(model, "task", "auto") or "auto")
        if task != "auto" and not registry.has("decoder", task):
            close = difflib.get_close_matches(task, registry.names("decoder"), n=1)
            issues.add(key, f"no built-in task {task!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
                       + "; a plugin must register it (kind decoder), else the run fails", value=task,
                       severity="warning",
                       expected="auto | " + " | ".join(registry.names("decoder")) + " or a plugin's task")
    for prefix, found in tasks_for(config, registry).items():
        key = f"{prefix}.task"
        if "error" in found:
            problem = found["error"]
            issues.add(key, getattr(problem, "message", str(problem)), value=found["task"],
                       expected=getattr(problem, "expected", None))
        elif found.get("warning"):
            issues.add(key, found["warning"].split(": ", 1)[-1], value="auto",
                       severity="warning", expected="the model's task: auto | " + " | ".join(
                           registry.names("decoder")))
