"""run.mode=bench: time inference on every initialized backend, after init.

Per backend, the figures TFLite's benchmark_model users know: init ms and first inference ms (from
init), the warm-up (run.warmup runs with the bench inputs), then the timed runs (at least
run.iterations and at least run.min_seconds) with count, avg, std, min, max, p50, p90, p99,
throughput (inferences/s) and the process's peak RSS. Stored in each backend's ``benchmark`` in
runtime_summary.json; the headline figures go to ``results.bench``.

Inputs: random data shaped and typed from the model, or the images of run.images (OpenCV).
Inference goes through the backend's public ``infer()`` with ``run.concurrency`` requests in flight (one
thread each; default: the backend's worker count, as its pool serves streams; a segmented model's
interpreters + 1), so throughput is the pool's
under that load and latency is each request's. A tqdm progress bar is shown on stderr only when stdout is
a terminal.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any


HEADLINE = ("throughput_ips", "avg_ms", "p50_ms", "p90_ms", "p99_ms", "concurrency")


def run(context: Any) -> dict[str, Any]:
    """The bench runner (registry kind "mode", name "bench")."""
    run_cfg = context.config.run
    results: dict[str, Any] = {}
    for state in context.backends:
        backend = context.backend_objects.get(state.name)
        if backend is None:
            continue
        state.benchmark = bench_backend(backend, state, run_cfg)
        results[state.name] = {k: state.benchmark["timed"][k] for k in HEADLINE}
        context.note("bench", f"{state.name}: {state.benchmark['timed']['count']} runs, "
                              f"{state.benchmark['timed']['throughput_ips']} inferences/s")
    return {"inputs": _input_kind(run_cfg), "backends": results}


def bench_backend(backend: Any, state: Any, run_cfg: Any) -> dict[str, Any]:
    inputs = make_inputs(backend.input_details, run_cfg.images)
    warm = [_timed(backend, inputs[i % len(inputs)]) for i in range(max(run_cfg.warmup, 0))]
    times: list[float] = []
    concurrency = max(1, int(getattr(run_cfg, "concurrency", None) or default_concurrency(state)))
    bar = progress(run_cfg.iterations, f"bench {state.name}")
    lock = threading.Lock()
    errors: list[BaseException] = []
    started = time.perf_counter()

    def more() -> int | None:
        with lock:
            if errors or not (len(times) < run_cfg.iterations or time.perf_counter() - started < run_cfg.min_seconds):
                return None
            times.append(0.0)
            return len(times) - 1

    def client() -> None:
        try:
            while (i := more()) is not None:
                times[i] = _timed(backend, inputs[i % len(inputs)])
                if bar is not None:
                    with lock:
                        bar.update(1)
        except BaseException as exc:  # the first error ends the bench and is raised below
            errors.append(exc)

    try:
        if concurrency == 1:
            client()
        else:
            threads = [threading.Thread(target=client, name=f"bench-{i}") for i in range(concurrency)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    finally:
        if bar is not None:
            bar.close()
    if errors:
        raise errors[0]
    elapsed = time.perf_counter() - started
    pool = getattr(backend, "pool", None)
    if pool is not None:  # each worker's requests: the split under this concurrency
        state.pool = pool.health()
    timings = state.timings_ms
    return {
        "inputs": {"kind": _input_kind(run_cfg), "count": len(inputs)},
        "init_ms": timings.get("init"),
        "first_inference_ms": timings.get("first_inference"),
        "warmup": {"count": len(warm), "avg_ms": _ms(sum(warm) / len(warm)) if warm else None},
        "timed": {**stats(times), "seconds": round(elapsed, 6), "concurrency": concurrency,
                  "throughput_ips": round(len(times) / elapsed, 3) if elapsed > 0 else None},
        "peak_rss_mb": peak_rss_mb(),
    }


def default_concurrency(state: Any) -> int:
    """run.concurrency null: the backend's worker count (as its pool serves streams); a segmented model's
    interpreters (one per segment, two for a segment with CPU ops) + 1, so every segment is busy while the
    answered request's client sends its next one (what a stream's in_flight default keeps too)."""
    workers = int(getattr(state, "workers", 1) or 1)
    segments = (getattr(state, "model", None) or {}).get("segments") or []
    if not segments:
        return workers
    return sum(int(s.get("interpreters", 1)) if isinstance(s, dict) else 1 for s in segments) + 1


def make_inputs(input_details: list[dict[str, Any]], images: str | None) -> list[list[Any]]:
    if images:
        from ..backends.images import load_image_inputs

        return load_image_inputs(images, input_details)
    from ..backends.inputs import random_inputs

    return [random_inputs(input_details)]


def stats(seconds: list[float]) -> dict[str, Any]:
    """count, avg, std, min, max, p50, p90, p99 of inference times, in ms."""
    if not seconds:
        return {"count": 0, **{k: None for k in ("avg_ms", "std_ms", "min_ms", "max_ms", "p50_ms", "p90_ms", "p99_ms")}}
    import numpy as np

    ms = np.asarray(seconds, dtype=np.float64) * 1000.0
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return {
        "count": int(ms.size), "avg_ms": _r(ms.mean()), "std_ms": _r(ms.std()), "min_ms": _r(ms.min()),
        "max_ms": _r(ms.max()), "p50_ms": _r(p50), "p90_ms": _r(p90), "p99_ms": _r(p99),
    }


def peak_rss_mb() -> float | None:
    """Peak resident set size of this process so far (getrusage; KiB on Linux, bytes on macOS)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 2)


def progress(total: int, desc: str) -> Any:
    """A tqdm bar on stderr when stdout is a terminal and tqdm is installed; else None."""
    isatty = getattr(sys.stdout, "isatty", None)
    if not (isatty and isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="inf", leave=False)


def _timed(backend: Any, inputs: list[Any]) -> float:
    start = time.perf_counter()
    backend.infer(inputs)
    return time.perf_counter() - start


def _input_kind(run_cfg: Any) -> str:
    return f"images:{run_cfg.images}" if run_cfg.images else "random"


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 4)


def _r(value: Any) -> float:
    return round(float(value), 4)


def check_bench(config: Any, issues: Any) -> None:
    """The registry check "bench" (plugins/builtins.py): the image folder (the counts' ranges:
    config/ranges.py)."""
    run_cfg = config.run
    if run_cfg.mode == "bench" and run_cfg.images:
        from pathlib import Path

        if not Path(run_cfg.images).expanduser().is_dir():
            issues.add("run.images", "not a folder", value=run_cfg.images,
                       expected="a folder of images (or unset for random inputs)")
