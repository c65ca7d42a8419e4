"""The PluginSpecs this package publishes (see pyproject.toml [project.entry-points])."""

from __future__ import annotations

from typing import Any

from coral_inference.runtime.plugins import PluginSpec, settings_for


def _backend(name, spec, context):  # imported only when the backend is built
    from .backend import CheckedCpuBackend

    return CheckedCpuBackend(name, spec, context)


backend_plugin = PluginSpec(
    name="example_cpu",
    type="backend",
    description="CPU interpreter whose outputs are checked for NaN/inf (select with backends=example_cpu)",
    backend=_backend,
    kind="example_cpu",
    min_core_version="0.1",
    min_inference_version={"ai_edge_litert": "1.0", "tflite_runtime": "2.5", "tensorflow": "2.5"},
    requires={"numpy": ">=1.23"},
)


class GreetingPatch:
    """A patch: says hello in the run log; switched by patches.example_patch."""

    description = "log a greeting (plugins.config.example_patch.greeting)"

    def enable(self, context) -> bool:
        greeting = settings_for(context, "example_patch").get("greeting", "hello")
        context.note("patches", f"example_patch: {greeting}")
        return True

    def disable(self, context) -> None:
        context.note("patches", "example_patch: goodbye")


patch_plugin = PluginSpec(
    name="example_patch",
    type="patch",
    description="a patch from coral-plugin-example, on by default",
    patch=GreetingPatch(),
    min_core_version="0.1",
    # Fill in below every config file: the patch is on unless a file, env or the command line says no.
    default_config_overrides={"patches.example_patch": True,
                              "plugins.config.example_patch.greeting": "hello from coral-plugin-example"},
)


def top1(outputs: list[Any]) -> dict[str, Any]:
    """Top-1 class and score of a classifier's first output."""
    import numpy as np

    scores = np.asarray(outputs[0]).reshape(-1)
    index = int(np.argmax(scores))
    return {"class": index, "score": float(scores[index])}


def workflow_plugins() -> list[PluginSpec]:
    """A zero-argument callable returning a list: the third form an entry point may take."""
    return [PluginSpec(name="example_top1", type="workflow", workflow=top1,
                       description="top-1 class of a classifier's output")]
