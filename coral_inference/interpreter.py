"""Interpreter provider: one place that picks the TFLite interpreter module.

Order for ``run.interpreter=auto``: ``tflite_runtime`` (device images ship it), then
``ai_edge_litert`` (the default dependency), then ``tensorflow.lite``. ``tflite_runtime`` 2.14 and
older is built against numpy 1.x and crashes at Interpreter creation beside numpy 2; auto skips it
then and an explicit choice fails with a plain message instead of the raw SystemError.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from .errors import BoardError, ConfigError, CoralError, Interrupted

CHOICES = ("auto", "tflite_runtime", "ai_edge_litert", "tensorflow")
MODULES = {  # run.interpreter choice -> (module, distribution), in the order auto tries them
    "tflite_runtime": ("tflite_runtime.interpreter", "tflite-runtime"),
    "ai_edge_litert": ("ai_edge_litert.interpreter", "ai-edge-litert"),
    "tensorflow": ("tensorflow.lite", "tensorflow"),
}


@dataclass(frozen=True)
class InterpreterProvider:
    module: str  # e.g. "ai_edge_litert"
    version: str | None  # the distribution's version
    Interpreter: Callable[..., Any]
    load_delegate: Callable[..., Any]
    notes: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        return {"module": self.module, "version": self.version, "notes": list(self.notes)}


def _dist_version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _numpy2_conflict(choice: str, version: str | None) -> str | None:
    if choice != "tflite_runtime" or version is None:
        return None
    import numpy

    return numpy2_conflict(version, numpy.__version__)


def numpy2_conflict(tflite_runtime: str, numpy_version: str | None) -> str | None:
    """Why tflite_runtime ``tflite_runtime`` cannot run beside numpy ``numpy_version`` (None: it can). From
    the two version strings alone: coral-runtime doctor judges versions it is given, importing neither."""
    from packaging.version import InvalidVersion, Version

    try:
        clash = Version(numpy_version).major >= 2 and Version(tflite_runtime) < Version("2.15")
    except (InvalidVersion, TypeError):
        return None
    if clash:
        return (
            f"tflite_runtime {tflite_runtime} is built for numpy 1.x but numpy {numpy_version} is installed; "
            "it crashes at Interpreter creation. Install 'numpy<2' beside it, or use run.interpreter=ai_edge_litert."
        )
    return None


def _load(choice: str) -> InterpreterProvider:
    module_name, dist = MODULES[choice]
    module = importlib.import_module(module_name)
    if choice == "tensorflow":
        interp, delegate = module.Interpreter, module.experimental.load_delegate
    else:
        interp, delegate = module.Interpreter, module.load_delegate
    return InterpreterProvider(choice, _dist_version(dist), interp, delegate)


@lru_cache(maxsize=None)
def get_provider(choice: str = "auto") -> InterpreterProvider:
    """Return the interpreter provider for ``choice`` (see CHOICES)."""
    if choice not in CHOICES:
        raise ConfigError(
            f"run.interpreter: unknown interpreter {choice!r}; expected one of {', '.join(CHOICES)}"
        )
    candidates = list(MODULES) if choice == "auto" else [choice]
    notes: list[str] = []
    for name in candidates:
        dist_version = _dist_version(MODULES[name][1])
        conflict = _numpy2_conflict(name, dist_version)
        if conflict:
            if choice != "auto":
                raise BoardError(conflict)
            notes.append(f"skipped {conflict}")
            continue
        try:
            provider = _load(name)
        except ImportError as exc:
            if choice != "auto":
                raise BoardError(
                    f"run.interpreter={name}: cannot import {MODULES[name][0]} ({exc}); "
                    f"install it (pip install {MODULES[name][1]}) or use run.interpreter=auto"
                ) from exc
            continue
        return InterpreterProvider(provider.module, provider.version, provider.Interpreter,
                                   provider.load_delegate, tuple(notes))
    raise BoardError(
        "No TFLite interpreter is installed: pip install ai-edge-litert (or tflite-runtime with numpy<2)"
        + (f"; {'; '.join(notes)}" if notes else "")
    )


def interpreter_in_use(choice: str) -> tuple[str | None, str | None, str | None]:
    """(module, version, problem) of the interpreter ``run.interpreter=choice`` picks here: what plugin
    requirement checks (plugins/requirements.py) are given."""
    try:
        provider = get_provider(choice)
    except Interrupted:  # a signal during the interpreter's import: the run stops, it is not "no interpreter"
        raise
    except CoralError as exc:
        return None, None, exc.message
    return provider.module, provider.version, None
