"""The stream manager: every enabled stream of the run at once, sharing the backends' worker pools.

    m = StreamManager(context)   # streams from context.config (`streams`, or run.source as "default")
    m.start(); m.wait(timeout=…); m.stop()
    m.control(name, "pause" | "resume" | "stop" | "start"); m.status(); m.summary()
    m.subscribe(fn)              # fn(stream_name, result, frame_bgr) after the workflow (preview)
    m.recordings(name)           # finished recording files of a stream

The API is documented in INTERFACES.md (run.mode=serve builds on it) and the README's Streams section.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

from ..errors import ConfigError
from .checks import stream_entries

SINKS = ("masks", "results", "recording", "metrics", "buffer")  # registry kind "sink", in this order
ACTIONS = {"start": ("stopped", "finished", "failed"), "pause": ("starting", "running", "reconnecting"),
           "resume": ("paused",), "stop": ("starting", "running", "reconnecting", "paused")}


def redact_source(text: str) -> str:
    """A source for display: a URL's user:password@ becomes ***@."""
    import re

    return re.sub(r"(://)[^/@\s]+@", r"\1***@", str(text))


class StreamManager:
    def __init__(self, context: Any):
        self.context = context
        self.config = context.config
        self.run_dir = Path(context.run_dir or Path.cwd())
        self._shared: dict[str, Any] = {}
        self._shared_lock = threading.Lock()
        self._subscribers: list[Callable] = []
        self._backends = None
        self.streams: dict[str, Any] = {}
        self.disabled: list[str] = []
        self.started_at: Optional[float] = None
        self.ended_at: Optional[float] = None
        self._closed = False
        self._stop_lock = threading.Lock()
        self._build()

    # Building -------------------------------------------------------------------------------------
    def _shared_get(self, key: str, factory: Callable[[], Any]) -> Any:
        with self._shared_lock:
            if key not in self._shared:
                self._shared[key] = factory()
            return self._shared[key]

    def _build(self) -> None:
        from .models import StreamBackends
        from .stream import Stream

        if not self.context.backend_objects:
            from ..errors import BackendError

            raise BackendError("streams: no backend is running")
        self._backends = StreamBackends(self.context)
        entries = stream_entries(self.config)
        if not entries:
            raise ConfigError("run.source: no stream to run: set run.source or an entry of streams "
                              "(expected a video file, a folder of images, a camera index or a stream URL)")
        for name, (prefix, cfg) in entries.items():
            if not cfg.enabled:
                self.disabled.append(name)
                continue
            backend_name, backend, model_name, model = self._backends.get(name, prefix, cfg)
            from .decode import make_decoder
            from .workflow import build

            decode, _labels = make_decoder(model, backend.output_details, self.context.registry, self.config.run,
                                           key=f"models.{model_name}.task" if model_name != "default" else "model.task",
                                           input_details=backend.input_details)
            blocks = build(cfg.workflow, self.context.registry,
                           "run.workflow" if prefix == "run.source" else f"{prefix}.workflow")
            stream = Stream(name, cfg, backend, backend_name, model_name, decode, blocks, {}, self.config.run,
                            self.run_dir, self._shared_get, self._subscribers, cfg.source)
            for label, block in blocks:
                if hasattr(block, "name"):
                    try:
                        block.name = label
                    except AttributeError:
                        pass
            stream.model_file = self._model_file(backend_name, model_name, model)
            stream.task = decode.describe() if hasattr(decode, "describe") else None
            if getattr(decode, "warning", None):
                self.context.note("streams", f"{name}: {decode.warning}", "warning")
            stream.sinks = self._sinks(stream, cfg)
            self.streams[name] = stream

    def _model_file(self, backend_name: str, model_name: str, model: Any) -> str:
        """The file name of the model that runs (the CPU twin when the backend fell back to the CPU)."""
        state = next((s for s in self.context.backends if s.name == backend_name), None)
        ran = (state.model.get("path") if state is not None and model_name == "default" else None) or model.path
        return Path(str(ran)).name

    def _sinks(self, stream: Any, cfg: Any) -> dict[str, Any]:
        services = self.config.services
        defaults = {"masks": True, "results": True, "buffer": True, "recording": services.recording.enabled,
                    "metrics": services.metrics.enabled and bool(services.metrics.influxdb_url)}
        sinks = {}
        for name in SINKS:
            wanted = getattr(cfg.sinks, name, None)
            if not (defaults[name] if wanted is None else wanted):
                continue
            factory = self.context.registry.get("sink", name)
            sink = factory(stream, self.context) if factory is not None else None
            if sink is not None:  # a factory may decline (masks: only with run.mask_png)
                sinks[name] = sink
        return sinks

    # The API --------------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self.streams)

    def start(self) -> None:
        self.started_at = time.monotonic()
        for stream in self.streams.values():
            stream.start()

    def wait(self, stop: Optional[Callable[[], bool]] = None, timeout: Optional[float] = None) -> bool:
        """True when every stream ended; False at ``timeout`` or when ``stop()`` turned true."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if all(s.ended for s in self.streams.values()):
                return True
            if stop is not None and stop():
                return False
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.02 if deadline is None else max(0.0, min(0.02, deadline - time.monotonic())))

    def stop(self, timeout: float = 5.0, reason: str = "stopped") -> None:
        with self._stop_lock:
            if self._closed:
                return
            self._closed = True
        for stream in self.streams.values():
            if not stream.ended:
                stream.stop(reason)
        for stream in self.streams.values():
            stream.join(timeout)
        self._reports = {name: stream.close_sinks(timeout) for name, stream in self.streams.items()}
        for key, shared in list(self._shared.items()):
            close = getattr(shared, "close", None)
            if key == "metrics":
                self._metrics_report = shared.close(timeout=min(timeout, shared.timeout + 1.0))
                self.context.services.pop("metrics", None)
            elif callable(close):
                close()
        self.ended_at = time.monotonic()

    def control(self, name: str, action: str) -> str:
        stream = self.streams[name]  # KeyError: unknown stream
        allowed = ACTIONS.get(action)
        if allowed is None:
            raise ValueError(f"unknown action {action!r} (expected one of {', '.join(ACTIONS)})")
        if stream.status not in allowed:
            raise ValueError(f"cannot {action} stream {name!r}: it is {stream.status}")
        if self._closed:
            raise ValueError(f"cannot {action} stream {name!r}: the stream manager is stopped")
        {"start": stream.start, "pause": stream.pause, "resume": stream.resume,
         "stop": lambda: stream.stop("control")}[action]()
        return stream.status

    def subscribe(self, fn: Callable[[str, dict, Any], None]) -> Callable[[], None]:
        self._subscribers.append(fn)

        def unsubscribe() -> None:
            try:
                self._subscribers.remove(fn)
            except ValueError:
                pass
        return unsubscribe

    def status(self) -> dict[str, dict[str, Any]]:
        return {name: self._status(stream) for name, stream in self.streams.items()}

    def _status(self, stream: Any) -> dict[str, Any]:
        from .workflow import summaries

        return {"status": stream.status, **stream.stats.snapshot(), "workflow": summaries(stream.blocks),
                "last_error": stream.last_error, "source": redact_source(stream.source_text),
                "source_kind": stream.source.kind, "live": stream.source.live, "model": stream.model_name,
                "backend": stream.backend_name, "task": getattr(stream, "task", None), "stopped_by": stream.stopped_by}

    def recordings(self, name: str) -> list[Path]:
        stream = self.streams[name]
        sink = stream.sinks.get("recording")
        if sink is None:
            return []
        files = sink.files() if hasattr(sink, "files") else []
        if not stream.ended or not getattr(self, "_reports", None):
            files = files[:-1]  # the open segment is not finished yet
        return [f for f in files if f.is_file()]

    def summary(self) -> dict[str, Any]:
        streams = {}
        reports = getattr(self, "_reports", {})
        for name, stream in self.streams.items():
            streams[name] = {**self._status(stream), "sinks": reports.get(name, {})}
        for name in self.disabled:
            streams[name] = {"status": "disabled"}
        end = self.ended_at or time.monotonic()
        duration = (end - self.started_at) if self.started_at else 0.0
        running = [s for s in streams.values() if s["status"] != "disabled"]
        totals = {"frames": sum(s["frames"] for s in running), "dropped": sum(s["dropped"] for s in running),
                  "reconnects": sum(s["reconnects"] for s in running),
                  "failed": sorted(n for n, s in streams.items() if s["status"] == "failed")}
        out = {"streams": streams, "totals": totals, "duration_s": round(duration, 3),
               "fps": round(totals["frames"] / duration, 3) if duration > 0 else None,
               "results": str(self._shared["results"].path) if "results" in self._shared else None,
               "backends": self._backends.pools() if self._backends else {}}
        if getattr(self, "_metrics_report", None) is not None:
            out["metrics"] = self._metrics_report
        return out
