"""Garbage collection at start-up and exit of the console scripts (measured in BENCHMARKS.md).

Hydra and OmegaConf allocate many container objects while they compose, which triggers repeated full
collections that walk every object already imported (Hydra, OmegaConf, numpy, ai-edge-litert, ours);
``gc.freeze()`` right after the imports moves those long-lived objects out of the collector's view, so
the later collections look only at what the run creates (cycles made after this point are still
collected). At exit, a second ``gc.freeze()`` (atexit) skips the interpreter's final collection of
objects the operating system reclaims anyway. Nothing is finalized differently: files and services are
closed by the run itself (RuntimeContext.close) before the summary is written.
"""

from __future__ import annotations


def freeze_startup() -> None:
    import atexit
    import gc

    gc.freeze()
    atexit.register(gc.freeze)
