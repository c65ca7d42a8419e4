"""What every backend shares: interpreter workers, warm-up and timings.

The backend protocol (what a plugin backend implements, see PLUGIN_PUBLISHING.md):

    class MyBackend:
        def __init__(self, name: str, spec, context: RuntimeContext): ...
        def initialize(self) -> BackendState      # raise BackendError on failure
        def infer(self, inputs: list[np.ndarray]) -> list[np.ndarray]
        input_details: list[dict]                  # as the TFLite interpreter reports them
        output_details: list[dict]
        def close(self) -> None
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import BackendError
from ..runtime.context import BackendState, RuntimeContext
from .models import ModelRef

UNRESOLVED_OP = "Encountered unresolved custom op"


def edgetpu_model_on_cpu_message(model: ModelRef, key: str) -> str:
    return (
        f"{key}: {model.path!r} is compiled for the Edge TPU (it holds edgetpu-custom-op) and cannot run on "
        "the CPU without the Edge TPU delegate. Either give its CPU twin as model.cpu_path=<file.tflite>, "
        "or run it on an Edge TPU backend (backends=edgetpu_single) with the Edge TPU runtime installed."
    )


class InterpreterWorker:
    """One TFLite interpreter, allocated; ``infer`` is not thread-safe (one worker per thread)."""

    def __init__(self, provider: Any, model: ModelRef, num_threads: int | None = None,
                 delegates: list[Any] | None = None, key: str = "model.path"):
        kwargs: dict[str, Any] = {"model_content": model.content}
        if num_threads is not None:
            kwargs["num_threads"] = num_threads
        if delegates:
            kwargs["experimental_delegates"] = delegates
        try:
            self.interpreter = provider.Interpreter(**kwargs)
            self.interpreter.allocate_tensors()
        except (RuntimeError, ValueError) as exc:
            text = str(exc)
            if UNRESOLVED_OP in text and "edgetpu-custom-op" in text:
                raise BackendError(edgetpu_model_on_cpu_message(model, key)) from exc
            if UNRESOLVED_OP in text:
                raise BackendError(
                    f"{key}: {model.path!r} uses an operator this interpreter cannot resolve ({text.strip()}); "
                    "expected a model of builtin TFLite ops (or the Edge TPU custom op with its delegate)"
                ) from exc
            raise BackendError(f"{key}: cannot create an interpreter for {model.path!r}: {text.strip()}") from exc
        self.input_details = self.interpreter.get_input_details()
        self.output_details = self.interpreter.get_output_details()

    def infer(self, inputs: list[Any]) -> list[Any]:
        interp = self.interpreter
        for detail, value in zip(self.input_details, inputs):
            interp.set_tensor(detail["index"], value)
        interp.invoke()
        return [interp.get_tensor(d["index"]).copy() for d in self.output_details]


class InterpreterBackend:
    """Base for backends made of interpreter workers (CPU, Edge TPU)."""

    kind = "base"

    def __init__(self, name: str, spec: Any, context: RuntimeContext):
        self.name = name
        self.spec = spec
        self.context = context
        self.workers: list[InterpreterWorker] = []
        self.state = BackendState(name=name, kind=self.kind)

    # The protocol -------------------------------------------------------------------------
    @property
    def input_details(self) -> list[dict[str, Any]]:
        return self.workers[0].input_details

    @property
    def output_details(self) -> list[dict[str, Any]]:
        return self.workers[0].output_details

    def infer(self, inputs: list[Any]) -> list[Any]:
        return self.workers[0].infer(inputs)

    def close(self) -> None:
        self.workers.clear()

    # Shared steps -------------------------------------------------------------------------
    def _start_workers(self, provider: Any, model: ModelRef, count: int, delegates_for=None,
                       key: str = "model.path") -> None:
        start = time.perf_counter()
        for i in range(count):
            delegates = delegates_for(i) if delegates_for else None
            self.workers.append(InterpreterWorker(provider, model, self.spec.num_threads, delegates, key))
        self.state.timings_ms["init"] = _ms(time.perf_counter() - start)
        self.state.interpreter = provider.describe()
        self.state.model = model.describe()
        self.state.num_threads = self.spec.num_threads
        self.state.workers = count

    def warm_up(self, count: int) -> None:
        """First inference, then ``count - 1`` more; timings into the state; builtin self-check."""
        from .inputs import random_inputs

        inputs = random_inputs(self.input_details)
        start = time.perf_counter()
        outputs = self.infer(inputs)
        self.state.timings_ms["first_inference"] = _ms(time.perf_counter() - start)
        extra = max(count - 1, 0)
        if extra:
            start = time.perf_counter()
            for _ in range(extra):
                self.infer(inputs)
            self.state.timings_ms["warmup_avg"] = _ms((time.perf_counter() - start) / extra)
        if self.state.model.get("path", "").startswith("builtin:"):
            self.state.selfcheck = _selfcheck(inputs, outputs)


def _selfcheck(inputs: list[Any], outputs: list[Any]) -> dict[str, Any]:
    import numpy as np

    from .selftest import reference_output

    expected = reference_output(inputs[0])
    err = float(np.max(np.abs(outputs[0] - expected)))
    passed = bool(err <= 1e-4 * max(1.0, float(np.max(np.abs(expected)))))
    return {"passed": passed, "max_abs_error": err}


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)
