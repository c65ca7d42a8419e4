"""The CPU backend: the TFLite interpreter with its CPU kernels; ``workers`` interpreters in a pool."""

from __future__ import annotations

from ..errors import ConfigError
from .base import InterpreterBackend, edgetpu_model_on_cpu_message
from .interpreter import get_provider
from .models import ModelRef, load_model


def cpu_model(served) -> tuple[ModelRef, str]:
    """The model the CPU runs of a ServedModel: its cpu_path when set, else its path (which must not be an
    Edge TPU model). Returns the model and the key it came from (``model.cpu_path``, ``models.<n>.path``…)."""
    key_prefix = served.key
    if served.cpu_path:
        return load_model(served.cpu_path, f"{key_prefix}.cpu_path"), f"{key_prefix}.cpu_path"
    model = load_model(served.path, f"{key_prefix}.path")
    if model.edgetpu_compiled:
        raise ConfigError(edgetpu_model_on_cpu_message(model, f"{key_prefix}.path"))
    return model, f"{key_prefix}.path"


def cpu_labels(count: int) -> list[str]:
    return [f"cpu:{i}" for i in range(max(1, count))]


class CpuBackend(InterpreterBackend):
    kind = "cpu"

    def initialize(self):
        config = self.context.config
        provider = get_provider(config.run.interpreter)
        model, key = cpu_model(self.model)
        self.state.device = "cpu"
        self._start_workers(provider, model, cpu_labels(self.spec.workers), key=key)
        self.state.status = "ok"
        return self.state
