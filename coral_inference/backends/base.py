"""What every backend shares: interpreter workers in a pool (backends/pool.py), warm-up and timings.

The backend protocol (what a plugin backend implements, see PLUGIN_PUBLISHING.md):

    class MyBackend:
        def __init__(self, name: str, spec, context, model): ...   # contract 2 (PLUGIN_PUBLISHING.md):
            # context: the RuntimeContext; model: the ServedModel it serves (plugins/contract.py)
        def initialize(self) -> BackendState      # raise BackendError on failure
        def infer(self, inputs: list[np.ndarray]) -> list[np.ndarray]      # thread-safe
        def infer_many(self, batch: list[list[np.ndarray]]) -> list[list[np.ndarray]]  # in order
        capacity: int                              # optional: requests it runs at once (streams/flight.py)
        input_details: list[dict]                  # as the TFLite interpreter reports them
        output_details: list[dict]
        def close(self) -> None
"""

from __future__ import annotations

import time
from typing import Any

from ..config.keys import backend_key
from ..errors import BackendError, BoardError, ConfigError
from .state import BackendState
from .models import ModelRef
from .pool import InputError, WorkerPool

UNRESOLVED_OP = "Encountered unresolved custom op"


def _prefix(key: str) -> str:
    """``model`` / ``models.<name>`` of a model's key (``models.x.path`` -> ``models.x``)."""
    return key.rsplit(".", 1)[0] if "." in key else key


def edgetpu_model_on_cpu_message(model: ModelRef, key: str) -> str:
    return (
        f"{key}: {model.path!r} is compiled for the Edge TPU (it holds edgetpu-custom-op) and cannot run on "
        f"the CPU without the Edge TPU delegate. Either give its CPU twin as {_prefix(key)}.cpu_path=<file.tflite>, "
        "or run it on an Edge TPU backend (backends=edgetpu_single) with the Edge TPU runtime installed."
    )


def delegate_ignored_op_message(model: ModelRef, key: str, library: str) -> str:
    return (
        f"{key}: {model.path!r} is compiled for the Edge TPU, but the delegate loaded from {library!r} did not "
        "take its edgetpu-custom-op: the library is not the Edge TPU runtime, or its version is older than the "
        "compiler that built the model. Either install a matching libedgetpu1-std (and point "
        f"platform.delegate_library at it), or give the CPU twin as {_prefix(key)}.cpu_path=<file.tflite> with "
        "fallback=cpu."
    )


class InterpreterWorker:
    """One TFLite interpreter, allocated; ``infer`` is not thread-safe (one worker per thread)."""

    def __init__(self, provider: Any, model: ModelRef, num_threads: int | None = None,
                 delegates: list[Any] | None = None, key: str = "model.path", library: str | None = None):
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
                if delegates:  # the delegate did not take the op: libedgetpu vs compiler / interpreter versions
                    raise BoardError(delegate_ignored_op_message(model, key, library)) from exc
                raise BackendError(edgetpu_model_on_cpu_message(model, key)) from exc
            if UNRESOLVED_OP in text:  # the model file is wrong for any backend: a config error
                raise ConfigError(
                    f"{key}: {model.path!r} uses an operator this interpreter cannot resolve ({text.strip().splitlines()[0]}); "
                    "expected a model of builtin TFLite ops (or the Edge TPU custom op with its delegate)"
                ) from exc
            if "not a valid Flatbuffer" in text:
                raise ConfigError(
                    f"{key}: {model.path!r} is not a valid TFLite flatbuffer ({len(model.content)} bytes: truncated "
                    "or corrupt?); expected a complete .tflite file"
                ) from exc
            raise BackendError(f"{key}: cannot create an interpreter for {model.path!r}: {text.strip()}") from exc
        self.delegates = list(delegates or [])  # kept alive as long as the interpreter
        self.input_details = self.interpreter.get_input_details()
        self.output_details = self.interpreter.get_output_details()
        self._inputs = [(d["index"], d["name"]) for d in self.input_details]
        self._outputs = [d["index"] for d in self.output_details]

    def infer(self, inputs: list[Any]) -> list[Any]:
        """Set the inputs, invoke, return copies of the outputs. A bad input raises InputError."""
        interp = self.interpreter
        if len(inputs) != len(self._inputs):
            raise InputError(f"the model takes {len(self._inputs)} input(s), got {len(inputs)}")
        for (index, name), value in zip(self._inputs, inputs):
            try:
                interp.set_tensor(index, value)
            except (ValueError, TypeError) as exc:
                raise InputError(f"input {name!r}: {' '.join(str(exc).split())}") from None
        interp.invoke()
        return [interp.get_tensor(i) for i in self._outputs]  # get_tensor returns a copy


class InterpreterBackend:
    """Base for backends made of interpreter workers (CPU, Edge TPU)."""

    kind = "base"

    def __init__(self, name: str, spec: Any, context: Any, model: Any = None):
        from .build import served

        self.name = name
        self.spec = spec
        self.context = context
        self.model = model if model is not None else served(context.config)  # the ServedModel it runs
        self.workers: list[InterpreterWorker] = []
        self.pool: Any = None  # a WorkerPool (replicated model: one request per idle worker) or a SegmentPipeline
        self.runner: Any = None  # what infer() uses: the pool, or a SegmentPipeline for model.segments
        self.state = BackendState(name=name, kind=self.kind)

    # The protocol -------------------------------------------------------------------------
    @property
    def input_details(self) -> list[dict[str, Any]]:
        return self.workers[0].input_details

    @property
    def output_details(self) -> list[dict[str, Any]]:
        return self.workers[-1].output_details  # the last segment's (every worker's, for a pool)

    @property
    def capacity(self) -> int:
        """Requests it runs at once: its devices (the pool's workers, or a segmented model's segments)."""
        runner = getattr(self.runner, "capacity", None)
        return max(int(runner) if isinstance(runner, int) else len(self.workers), 1)

    def infer(self, inputs: list[Any]) -> list[Any]:
        return self.runner.infer(inputs)

    def infer_many(self, batch: list[list[Any]]) -> list[list[Any]]:
        return self.runner.infer_many(batch)

    def imap(self, requests):
        return self.runner.imap(requests)

    def close(self) -> None:
        if self.pool is not None:  # a WorkerPool, or a SegmentPipeline (its segment threads)
            self.pool.close()
        self.pool = self.runner = None
        self.workers.clear()

    @property
    def model_key(self) -> str:
        """``model`` or ``models.<name>``: the key prefix of the model this backend runs (config/keys.py),
        named in every message about it."""
        return self.model.key

    # Shared steps -------------------------------------------------------------------------
    def _start_workers(self, provider: Any, model: ModelRef | list[ModelRef], labels: list[str], delegates_for=None,
                       key: str = "model.path", library: str | None = None,
                       min_ok: int | None = None) -> list[tuple[int, str, str]]:
        """One interpreter per label (a device spec, or cpu:N): the same model in a pool, or, given a list
        of segment models, one segment each in a SegmentPipeline. With ``min_ok`` (a pool), a worker that
        fails to start (BackendError) is left out as long as at least ``min_ok`` start; returns the failures
        as (index, label, message). Every one failing re-raises the first failure."""
        self.close()
        models = model if isinstance(model, list) else [model] * len(labels)
        start = time.perf_counter()
        failed: list[tuple[int, str, str]] = []
        first: BackendError | None = None
        for i in range(len(labels)):
            try:
                delegates = delegates_for(i) if delegates_for else None
                self.workers.append(InterpreterWorker(provider, models[i], self.spec.num_threads, delegates,
                                                      f"{key}[{i}]" if isinstance(model, list) else key, library))
            except BackendError as exc:
                if min_ok is None:
                    raise
                first = first or exc
                failed.append((i, labels[i], exc.message))
        if failed and not self.workers:
            raise first
        if failed and len(self.workers) < min_ok:
            self.workers.clear()
            raise type(first)(  # a BoardError stays one (its pointer to coral-runtime doctor, once)
                f"{backend_key(self.context.config, self.name)}: {len(labels) - len(failed)} of {len(labels)} Edge "
                f"TPU(s) started, fewer than {backend_key(self.context.config, self.name)}.min_devices={min_ok}; "
                + "; ".join(f"{label} failed: {message}" for _, label, message in failed))
        labels = [label for i, label in enumerate(labels) if i not in {f[0] for f in failed}]
        if isinstance(model, list):
            from .segments import SegmentPipeline

            infos = [m.inspect() for m in model]
            extra = {}  # a segment with CPU ops gets a second interpreter on its device (segments.py)
            for i, info in enumerate(infos):
                if set(info.get("operators") or {}) - {"edgetpu-custom-op"} and delegates_for is not None:
                    extra[i] = [InterpreterWorker(provider, models[i], self.spec.num_threads, delegates_for(i),
                                                  f"{key}[{i}]", library)]
            try:  # the pool of a segmented model: its segments, one slot per device (health() like a pool's)
                self.runner = self.pool = SegmentPipeline(self.workers, labels, extra)
            except ValueError as exc:
                raise BackendError(f"{key}: {exc}") from None
            self.state.pool = self.pool.health()
            for i, info in enumerate(infos):
                info["device"] = labels[i]
                info["interpreters"] = self.runner.interpreters(i)
            self.state.model = {"path": ", ".join(m.path for m in model), "key": key, "pair": self._model_pair(),
                                "sha256": _joined_sha256(model), "segments": infos}
        else:
            self.runner = self.pool = WorkerPool(self.workers, labels, name=self._pool_name(),
                                                 on_unhealthy=self._unhealthy)
            self.state.model = {**model.inspect(), "key": key, "pair": self._model_pair()}
            self.state.pool = self.pool.health()
        self.state.timings_ms["init"] = _ms(time.perf_counter() - start)
        self.state.interpreter = provider.describe()
        self.state.num_threads = self.spec.num_threads
        self.state.workers = len(labels)
        return failed

    def _pool_name(self) -> str:
        """What the pool's messages call it: the backend's key, with the model's when it is not `model`."""
        key = backend_key(self.context.config, self.name)
        return key if self.model_key == "model" else f"{key} ({self.model_key})"

    def _model_pair(self) -> dict[str, Any]:
        model = self.model
        return {"path": model.path, "cpu_path": model.cpu_path, "segments": list(model.segments)}

    def _unhealthy(self, slot: dict[str, Any]) -> None:
        self.state.pool = self.pool.health() if self.pool else [slot]
        self.state.warnings.append(f"{slot['label']} marked unhealthy: {slot['reason']}")

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
        if self.pool is not None:
            self.state.pool = self.pool.health()
        if self.state.model.get("path", "").startswith("builtin:"):
            from .selftest import selfcheck, selfcheck_failure

            self.state.selfcheck = selfcheck(inputs, outputs)
            if not self.state.selfcheck["passed"]:  # wrong numbers: the backend failed (exit 3)
                raise BackendError(selfcheck_failure(self.state.model.get("key", f"{self.model_key}.path"),
                                                     self.state.selfcheck, self.state.interpreter))


def _joined_sha256(models: list[ModelRef]) -> str:
    """sha256 of the segments' sha256 hex digests joined by ',' (one hash for a segmented model)."""
    import hashlib

    return hashlib.sha256(",".join(m.sha256 for m in models).encode()).hexdigest()


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)
