"""The pipeline runner (RUNNERS["pipeline"]): source -> model input -> backend.infer -> decode ->
results.jsonl, buffer_sink, metrics (InfluxDB) and recording; totals for the summary.

Stops at run.max_frames, after run.duration_s, at the end of the source, on Ctrl-C or SIGTERM;
in every case the recording is released (complete files), metrics are flushed (bounded wait) and the
totals are returned.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ..errors import BackendError
from ..summary import now_iso


def latency_stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    import numpy as np

    a = np.asarray(values, dtype=np.float64)
    return {"count": int(a.size), "mean": round(float(a.mean()), 3), "min": round(float(a.min()), 3),
            "p50": round(float(np.percentile(a, 50)), 3), "p95": round(float(np.percentile(a, 95)), 3),
            "max": round(float(a.max()), 3)}


class _Stop:
    """SIGTERM sets the flag (main thread only); Ctrl-C arrives as KeyboardInterrupt."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self._previous: Any = None

    def __enter__(self) -> "_Stop":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, lambda *_: setattr(self, "reason", "SIGTERM"))
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def _services(context: Any, run_dir: Path, fps: float) -> tuple[Any, Any]:
    cfg = context.config.services
    recorder = metrics = None
    if context.patches_enabled.get("video_sink") and cfg.recording.enabled:
        from ..services.recording import Recorder

        rec = cfg.recording
        directory = Path(rec.path).expanduser()
        directory = directory if directory.is_absolute() else run_dir / directory
        recorder = Recorder(directory, rec.fps or fps, rec.segment_s, rec.retain, rec.codec)
        context.services["recording"] = recorder
    if context.patches_enabled.get("metric_sink") and cfg.metrics.enabled and cfg.metrics.influxdb_url:
        from ..services.metrics import MetricsClient

        metrics = context.services["metrics"] = MetricsClient(cfg.metrics)
    return recorder, metrics


def run(context: Any, on_frame: Callable[[int, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    from ..tasks.decode import options_from, prepare_decoder
    from ..tasks.labels import load_labels
    from .frames import to_input
    from .sources import open_source

    if not context.backend_objects:
        raise BackendError("run.mode=pipeline: no backend is running")
    name, backend = next(iter(context.backend_objects.items()))
    config = context.config
    run_cfg = config.run
    run_dir = Path(context.run_dir or Path.cwd())
    run_dir.mkdir(parents=True, exist_ok=True)
    labels = load_labels(config.model.labels, config.model.path)
    options = options_from(run_cfg, backend.input_details)
    decoder = prepare_decoder(config.model.task, backend.output_details, labels, options, context.registry)
    context.note("pipeline", f"task {decoder.task}: {decoder.reason}", "warning" if decoder.warning else "info")
    from types import SimpleNamespace

    masks = context.registry.get("sink", "masks")(SimpleNamespace(name="default", run_dir=run_dir), context)
    camera = context.services.get("camera") if context.patches_enabled.get("camera") else None
    source = open_source(run_cfg.source, camera)
    buffer = context.services.get("buffer_sink")
    recorder, metrics = _services(context, run_dir, source.fps)
    in_details, out_details = backend.input_details, backend.output_details
    state = next((s for s in context.backends if s.name == name), None)
    ran = (state.model.get("path") if state is not None else None) or config.model.path  # the CPU twin if degraded
    tags = {"backend": name, "model": Path(ran).name, "source": source.kind}
    infer_ms: list[float] = []
    frame_ms: list[float] = []
    frames, kind, stopped_by = 0, None, "end of source"
    results_path = run_dir / "results.jsonl"
    started = time.perf_counter()
    from ..files import open_for_write  # never through a symlink; the run folder is this run's (cli/rundir.py)

    with _Stop() as stop, open_for_write(results_path, "results file", replace=True) as out:
        try:
            for frame in source:
                if run_cfg.max_frames is not None and frames >= run_cfg.max_frames:
                    stopped_by = "run.max_frames"
                    break
                if run_cfg.duration_s is not None and time.perf_counter() - started >= run_cfg.duration_s:
                    stopped_by = "run.duration_s"
                    break
                if stop.reason:
                    stopped_by = stop.reason
                    break
                t0 = time.perf_counter()
                inputs = [to_input(frame, d) for d in in_details]
                t1 = time.perf_counter()
                outputs = backend.infer(inputs)
                t2 = time.perf_counter()
                result = decoder(outputs, frame.shape[1], frame.shape[0])
                kind, predictions = result["kind"], result.get("predictions", [])
                infer_ms.append((t2 - t1) * 1000.0)
                frame_ms.append((time.perf_counter() - t0) * 1000.0)
                record = {"frame": frames, "time": now_iso(), "latency_ms": round(infer_ms[-1], 3),
                          "frame_ms": round(frame_ms[-1], 3),
                          **{k: v for k, v in result.items() if not k.startswith("_")}}
                if masks is not None and "_mask" in result:  # run.mask_png: masks/default/<frame>.png
                    item = {**result, "frame": frames}
                    masks.write(item, frame)
                    record["mask"] = item["mask"]
                out.write(json.dumps(record) + "\n")
                if buffer is not None:
                    buffer.push(record)
                if metrics is not None:
                    top = predictions[0] if predictions else {}
                    metrics.write(tags, {"frame": frames, "latency_ms": record["latency_ms"],
                                         "frame_ms": record["frame_ms"], "predictions": len(predictions),
                                         "top_class": top.get("class"), "top_score": top.get("score")})
                if recorder is not None:
                    from ..tasks.draw import draw

                    recorder.write(draw(frame, result))
                frames += 1
                if on_frame is not None:
                    on_frame(frames, record)
        except KeyboardInterrupt:
            stopped_by = "SIGINT"
        finally:
            elapsed = time.perf_counter() - started
            source.close()
            recording = recorder.close() if recorder is not None else None
            sent = metrics.close(timeout=metrics.timeout + 1.0) if metrics is not None else None
    context.note("pipeline", f"{frames} frames in {elapsed:.2f}s, stopped by {stopped_by}")
    return {
        "backend": name, **source.describe(), "kind": kind, "task": decoder.describe(), "frames": frames,
        "dropped_frames": source.dropped, "stopped_by": stopped_by, "duration_s": round(elapsed, 3),
        "fps": round(frames / elapsed, 3) if elapsed > 0 else None, "latency_ms": latency_stats(infer_ms),
        "frame_ms": latency_stats(frame_ms), "results": str(results_path), "labels": len(labels),
        "metrics": sent, "recording": recording,
        "buffer_sink": {"kept": len(buffer.items), "total": buffer.total} if buffer is not None else None,
    }
