"""The PluginSpecs this package publishes (see pyproject.toml [project.entry-points]).

Everything a plugin needs comes from ``coral_inference.plugins`` (the contract); this module is cheap to
import (coral-run imports it at start-up to read the specs): numpy and the backend load only when used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from coral_inference.plugins import PluginSpec, settings_for


def _backend(name, spec, context, model):  # plugin contract 2: handed the model it serves
    from .backend import CheckedCpuBackend  # imported only when the backend is built

    return CheckedCpuBackend(name, spec, context, model)


@dataclass
class CheckedCpuSettings:
    """plugins.config.example_cpu: typed; `config validate` refuses max_abs_output=abc or an unknown key."""

    max_abs_output: Optional[float] = None  # fail the run when an output exceeds |x| (None: only NaN/inf)


backend_plugin = PluginSpec(
    name="example_cpu",
    type="backend",
    description="CPU interpreter whose outputs are checked for NaN/inf (select with backends=example_cpu)",
    backend=_backend,
    kind="example_cpu",
    settings=CheckedCpuSettings,
    min_core_version="0.1",
    min_inference_version={"ai_edge_litert": "1.0", "tflite_runtime": "2.5", "tensorflow": "2.5"},
    requires={"numpy": ">=1.23"},
)


@dataclass
class GreetingSettings:
    greeting: str = "hello"


class GreetingPatch:
    """A patch: says hello in the run log; switched by patches.example_patch."""

    description = "log a greeting (plugins.config.example_patch.greeting)"
    supports: dict = {}

    def enable(self, context) -> bool:
        greeting = settings_for(context, "example_patch")["greeting"]
        context.note("patches", f"example_patch: {greeting}")
        return True

    def disable(self, context) -> None:
        context.note("patches", "example_patch: goodbye")


patch_plugin = PluginSpec(
    name="example_patch",
    type="patch",
    description="a patch from coral-plugin-example, on by default",
    patch=GreetingPatch(),
    settings=GreetingSettings,
    min_core_version="0.1",
    # Only the plugin's own keys, filled in below every config file: the patch is on unless a file, env or
    # the command line says no.
    default_config_overrides={"patches.example_patch": True,
                              "plugins.config.example_patch.greeting": "hello from coral-plugin-example"},
)


class Top1:
    """A workflow block (the Block contract, coral_inference/plugins/contract.py): built once per stream by
    ``factory(**settings)``, called as ``block(result, frame, stream)`` for every result of that stream.
    It puts the top-1 prediction under ``result["workflow"]["example_top1"]`` and drops results whose best
    score is below ``min_score`` (returns None)."""

    def __init__(self, min_score: float = 0.0):
        if not isinstance(min_score, (int, float)) or not 0.0 <= min_score <= 1.0:
            raise ValueError(f"example_top1: min_score must be a number in [0, 1], not {min_score!r}")
        self.min_score = float(min_score)
        self.kept = self.dropped = 0

    def __call__(self, result: dict, frame: Any, stream: Any) -> Optional[dict]:
        predictions = result.get("predictions") or []
        best = max(predictions, key=lambda p: p["score"], default=None)
        if best is None or best["score"] < self.min_score:
            self.dropped += 1
            return None
        self.kept += 1
        result.setdefault("workflow", {})["example_top1"] = {
            "class": best["class"], "label": best.get("label"), "score": best["score"],
            "kept": self.kept, "dropped": self.dropped}
        return result

    def summary(self) -> dict:
        return {"kept": self.kept, "dropped": self.dropped, "min_score": self.min_score}


def workflow_plugins() -> list[PluginSpec]:
    """A zero-argument callable returning a list: the third form an entry point may take."""
    return [PluginSpec(name="example_top1", workflow=Top1,
                       description="workflow block: top-1 prediction of each result, below min_score dropped")]


class LabelCounts:
    """A sink (the Sink contract): switched on per stream with ``streams.<name>.sinks.example_labels=true``,
    built once per such stream by ``factory(stream, context)``, given ``write(result, frame)`` for every
    result on the stream's sink thread, closed at the end: its report (labels seen, most frequent first) is
    the summary's ``results.pipeline.streams.<name>.sinks.example_labels``."""

    def __init__(self, stream: Any, context: Any):
        self.stream = stream.name
        self.counts: dict[str, int] = {}
        self.results = 0

    def write(self, result: dict, frame: Any) -> None:
        self.results += 1
        for item in result.get("predictions") or result.get("classes") or []:
            label = str(item.get("label") or item.get("class"))
            self.counts[label] = self.counts.get(label, 0) + 1

    def close(self) -> dict:
        top = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return {"results": self.results, "labels": dict(top[:10])}


def probe_mode(context: Any) -> dict:
    """A run mode (``coral-run run.mode=example_probe``): after init, one inference with zeros on every
    running backend; the dict returned is the summary's ``results.example_probe``."""
    import numpy as np

    out = {}
    for name, backend in context.backend_objects.items():
        inputs = [np.zeros(d["shape"], d["dtype"]) for d in backend.input_details]
        out[str(name)] = {"outputs": [list(o.shape) for o in backend.infer(inputs)]}
    return {"backends": out}


# A plugin that only contributes: a sink and a run mode (kinds without a PluginSpec field of their own).
extras_plugin = PluginSpec(name="example_extras", min_core_version="0.1",
                           description="sink example_labels (labels per stream) and run mode example_probe",
                           contributes={"sink": {"example_labels": LabelCounts}, "mode": {"example_probe": probe_mode}})


def _hello(context) -> bool:
    context.note("plugins", "example_hello: activated")
    return True


# An activate-only plugin: just a name and an activation callback (type omitted: the entry-point group's).
hello_plugin = PluginSpec(name="example_hello", activate=_hello, min_core_version="0.1",
                          description="activate-only: notes that it ran, contributes nothing")
