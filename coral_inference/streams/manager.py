"""The stream manager: every enabled stream of the run at once, sharing the backends' worker pools.

    m = StreamManager(context)   # one Stream per StreamSpec of context.config (streams/spec.py)
    m.start(); m.wait(timeout=…); m.stop()
    m.control(name, "pause" | "resume" | "stop" | "start"); m.status(); m.summary()
    m.subscribe(fn)              # fn(stream_name, result, frame_bgr) after the workflow (preview)
    m.subscribe_events(fn)       # fn(event) for every event of every stream (their hubs' threads)
    m.recordings(name)           # finished recording files of a stream

run.mode=serve builds on this API (web/service.py); docs/streams.md is its user documentation.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

from ..config.keys import model_key
from ..errors import ConfigError
ACTIONS = {"start": ("stopped", "finished", "failed"), "pause": ("starting", "running", "reconnecting"),
           "resume": ("paused",), "stop": ("starting", "running", "reconnecting", "paused")}
CONTROL_WAIT_S = 2.0  # a control request waits this long for the one in progress on its stream, then 409
JOIN_S = 5.0  # start: how long the previous run's threads may take to end before the start is refused


class Busy(ValueError):
    """Another control request on the stream is in progress (or its previous run has not ended): 409."""


def redact_source(text: str) -> str:
    """A source for display (redaction.py: a URL's password and secret query parameters are ***)."""
    from ..redaction import redact, redact_text

    return redact_text(redact(str(text)))  # one value: a URL runs to its end


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
        self._service_reports: dict[str, dict] = {}  # the delivery services' totals once closed
        self._build()
        # one control at a time per stream: a capture or decoder is never used by two runs' threads
        self._control = {name: threading.Lock() for name in self.streams}

    # Building -------------------------------------------------------------------------------------
    def _shared_get(self, key: str, factory: Callable[[], Any]) -> Any:
        with self._shared_lock:
            if key not in self._shared:
                self._shared[key] = factory()
            return self._shared[key]

    def _build(self) -> None:
        from ..errors import BackendError, Issues
        from .models import StreamBackends
        from .spec import build_specs, entries

        if not self.context.backend_objects:
            raise BackendError("streams: no backend is running")
        self._backends = StreamBackends(self.context)
        configured = entries(self.config)
        if not any(e.config.enabled for e in configured.values()):
            raise ConfigError("run.source: no stream to run: set run.source or an entry of streams "
                              "(expected a video file, a folder of images, a camera index or a stream URL)")
        issues = Issues()
        specs = build_specs(self.config, issues, registry=self.context.registry, check_workflow=False)
        issues.raise_if_errors("streams")
        self.disabled = [name for name, e in configured.items() if not e.config.enabled]
        for name, spec in specs.items():
            self.streams[name] = self._stream(spec)
        self._note_serial_opens(specs)

    def _note_serial_opens(self, specs: dict) -> None:
        from .sources import pyav_available

        urls = [name for name, spec in specs.items() if spec.source_kind == "url"]
        if len(urls) > 1 and not pyav_available():
            self.context.note("streams", f"PyAV is not installed: the URL sources of {', '.join(urls)} open one "
                              "after another (OpenCV's FFmpeg backend holds one lock); pip install "
                              "'coral_inference[live]' opens them in parallel", "warning")

    def _stream(self, spec: Any) -> Any:
        from .decode import make_decoder
        from .stream import Stream
        from .workflow import build

        backend = self._backends.get(spec)
        decode, _labels = make_decoder(spec.model, backend.output_details, self.context.registry, self.config.run,
                                       key=f"{spec.model_key}.task", input_details=backend.input_details)
        if getattr(decode, "warning", None):
            self.context.note("streams", f"{spec.name}: {decode.warning}", "warning")
        sinks = {}
        for name, on in spec.sinks.items():  # registry kind "sink", in run order; a factory may decline (None)
            factory = self.context.registry.get("sink", name) if on else None
            if factory is not None:
                sinks[name] = (lambda f: lambda stream: f(stream, self.context))(factory)
        problems = getattr(self.context, "problems", None)
        return Stream(spec, backend=backend, decode=decode, blocks=build(spec.workflow, self.context.registry,
                                                                         spec.key_of("workflow")),
                      tracker=self._tracker(spec),
                      sinks=sinks, run_dir=self.run_dir, shared=self._shared_get, subscribers=self._subscribers,
                      model_file=self._model_file(spec, backend), task=decode.describe() if hasattr(decode, "describe") else None,
                      problems=problems if isinstance(problems, dict) else None)

    def _tracker(self, spec: Any) -> Optional[Callable[[Any], Any]]:
        """factory(stream) -> the stream's tracker (registry kind "tracker"), None for kind none."""
        cfg = spec.config.tracker
        if cfg.kind == "none":
            return None
        factory = self.context.registry.get("tracker", cfg.kind)
        if factory is None:
            raise ConfigError(f"{spec.key}.tracker.kind: no tracker named {cfg.kind!r} (expected none | "
                              + " | ".join(self.context.registry.names("tracker")) + ")")
        settings = {"kind": cfg.kind, "max_age_s": cfg.max_age_s, "min_hits": cfg.min_hits,
                    "iou_threshold": cfg.iou_threshold, "snapshot_interval_s": cfg.snapshot_interval_s,
                    "options": dict(cfg.options or {})}
        return lambda stream: factory(settings, stream)

    def _model_file(self, spec: Any, backend: Any = None) -> str:
        """The file name of the model that runs on the stream's (backend, model) pair: the CPU twin when the
        backend fell back to the CPU (its state says what it loaded), for `model` and `models.<name>` alike."""
        state = getattr(backend, "state", None)
        ran = (getattr(state, "model", None) or {}).get("path") or spec.model.path
        return ",".join(Path(part).name for part in str(ran).split(", "))  # segments: each file's name

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
        from .. import shutdown

        shutdown.begin()  # every wait below takes at most what is left of the one deadline
        held = [lock for lock in self._control.values()
                if lock.acquire(timeout=shutdown.remaining(CONTROL_WAIT_S + JOIN_S))]
        try:  # a control request in progress ends first; later ones see _closed
            for stream in self.streams.values():
                if not stream.ended:
                    stream.stop(reason)
        finally:
            for lock in held:
                lock.release()
        for stream in self.streams.values():
            shutdown.wait(stream.join, timeout)
            stream.conclude()  # no frame in the whole run: failed, with the reason
        self.context.served = self.served_entries()  # final counts, before any pool closes
        self._reports = {name: stream.close_sinks(shutdown.remaining(timeout)) for name, stream in self.streams.items()}
        for key, shared in list(self._shared.items()):
            close = getattr(shared, "close", None)
            if key == "metrics":
                self._metrics_report = shared.close(timeout=shutdown.remaining(min(timeout, shared.timeout + 1.0)))
                self.context.services.pop("metrics", None)
            elif getattr(shared, "summary_key", None):  # a delivery service (services/mqtt.py, webhook.py)
                self._service_reports[shared.summary_key] = shared.close(timeout=shutdown.remaining(timeout))
                self.context.services.pop(shared.summary_key, None)
            elif callable(close):
                close()
        self.ended_at = time.monotonic()

    def control(self, name: str, action: str) -> str:
        """Serialized per stream: waits CONTROL_WAIT_S for a control in progress, else Busy (a ValueError)."""
        stream = self.streams[name]  # KeyError: unknown stream
        allowed = ACTIONS.get(action)
        if allowed is None:
            raise ValueError(f"unknown action {action!r} (expected one of {', '.join(ACTIONS)})")
        lock = self._control[name]
        if not lock.acquire(timeout=CONTROL_WAIT_S):
            raise Busy(f"cannot {action} stream {name!r}: another control request on it is in progress")
        try:
            if self._closed:
                raise ValueError(f"cannot {action} stream {name!r}: the stream manager is stopped")
            if stream.status not in allowed:
                raise ValueError(f"cannot {action} stream {name!r}: it is {stream.status}")
            if action == "start" and not stream.join(JOIN_S):
                raise Busy(f"cannot start stream {name!r}: its previous run has not ended yet")
            {"start": stream.start, "pause": stream.pause, "resume": stream.resume,
             "stop": lambda: stream.stop("control")}[action]()
            return stream.status
        finally:
            lock.release()

    def subscribe(self, fn: Callable[[str, dict, Any], None]) -> Callable[[], None]:
        self._subscribers.append(fn)

        def unsubscribe() -> None:
            try:
                self._subscribers.remove(fn)
            except ValueError:
                pass
        return unsubscribe

    def geometry(self) -> dict[str, dict[str, Any]]:
        """Each stream's zones and lines (streams.<name>.zones / .lines, normalized coordinates) for the
        live page: {stream: {"zones": {name: {"polygon": [[x, y], …]}}, "lines": {name: {"points": …,
        "directions": […]}}}}."""
        def plain(value: Any) -> Any:
            if isinstance(value, (list, tuple)):
                return [plain(v) for v in value]
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

        out: dict[str, dict[str, Any]] = {}
        for name, stream in self.streams.items():
            cfg = stream.spec.config
            zones = dict(getattr(cfg, "zones", None) or {})
            lines = dict(getattr(cfg, "lines", None) or {})
            out[name] = {"zones": {z: {"polygon": plain(getattr(c, "polygon", None) or [])} for z, c in zones.items()},
                         "lines": {n: {"points": plain(getattr(c, "points", None) or []),
                                       "directions": [str(d) for d in (getattr(c, "directions", None) or [])]}
                                   for n, c in lines.items()}}
        return out

    def subscribe_events(self, fn: Callable[[dict], None]) -> Callable[[], None]:
        """``fn(event)`` for every event of every stream, on the stream's event-hub thread (streams/events/
        hub.py): it must return at once. The unsubscribe function."""
        stops = [hub.subscribe(fn) for hub in (getattr(s, "events", None) for s in self.streams.values())
                 if hub is not None]

        def unsubscribe() -> None:
            for stop in stops:
                stop()
        return unsubscribe

    def status(self) -> dict[str, dict[str, Any]]:
        return {name: self._status(stream) for name, stream in self.streams.items()}

    def _status(self, stream: Any) -> dict[str, Any]:
        from .workflow import summaries

        recorder = stream.sinks.get("recording")
        health = stream.health()
        return {"status": stream.status, "health": health["state"], "reasons": health["reasons"],
                **stream.stats.snapshot(), "workflow": summaries(stream.blocks),
                "last_error": stream.last_error, "recovered_errors": stream.recovered, "source": redact_source(stream.spec.source),
                "source_kind": stream.spec.source_kind, "live": stream.spec.live, "model": stream.spec.model_name,
                "backend": stream.spec.backend_name, "in_flight": stream.in_flight,
                "task": stream.task, "stopped_by": stream.stopped_by,
                "sink_writes": stream.sink_writes(),
                "recording": recorder.state() if hasattr(recorder, "state") else None,
                **({"events": stream.events_status()} if stream.lifecycle is not None else {})}

    def services(self) -> dict[str, dict[str, Any]]:
        """The delivery services of the run (mqtt, webhook): a live one's report with ``healthy`` (false
        while its broker or server is down: the run is degraded, not failed), else its final totals."""
        out = {key: dict(report) for key, report in self._service_reports.items()}
        with self._shared_lock:
            shared = list(self._shared.values())
        for service in shared:
            key = getattr(service, "summary_key", None)
            if key and key not in out:
                out[key] = {**service.report(), "healthy": service.healthy()}
        return out

    def backend_pools(self) -> list[dict[str, Any]]:
        """Every backend object the run built, one per (backend, model) pair: {backend, model (its name),
        key, file (what runs), workers (each worker's label = device, requests, failures, healthy)}; /metrics."""
        items = [(name, "default", obj) for name, obj in list(self.context.backend_objects.items())]
        extra = getattr(self._backends, "extra", None) or {}
        items += [(b, m, obj) for (b, m), obj in list(extra.items())]
        out = []
        for backend_name, model_name, obj in items:
            pool = getattr(obj, "pool", None)
            state = getattr(obj, "state", None)
            path = str((getattr(state, "model", None) or {}).get("path") or "")
            out.append({"backend": backend_name, "model": model_name, "file": Path(path).name if path else None,
                        "key": model_key(model_name),
                        "workers": pool.health() if pool is not None and hasattr(pool, "health") else []})
        return out

    def stream_pairs(self) -> dict[str, tuple[str, str]]:
        """stream -> (backend, model name) it runs on."""
        return {name: (s.spec.backend_name, s.spec.model_name) for name, s in self.streams.items()}

    def served_entries(self) -> list[dict[str, Any]]:
        """One entry per (backend, model) pair that served a stream: the backend's state (interpreter,
        delegate, devices, fallback), the model that ran, every file the model's settings name with its
        sha256 (backends/inventory.py), the streams it served and each worker's counts now."""
        from ..backends.inventory import model_files

        pairs: dict[tuple, list] = {}
        for name, stream in self.streams.items():
            pair = pairs.setdefault((stream.spec.backend_name, stream.spec.model_name), [stream, []])
            pair[1].append(name)
        out = []
        for (backend_name, model_name), (stream, names) in pairs.items():
            backend, spec = stream.backend, stream.spec
            state = getattr(backend, "state", None)
            entry = state.to_dict() if hasattr(state, "to_dict") else {"name": backend_name, "kind": None,
                                                                      "status": "ok", "model": {}}
            pool = getattr(backend, "pool", None)
            if pool is not None and hasattr(pool, "health"):
                entry["pool"] = pool.health()
            ran = (entry.get("model") or {}).get("path")
            workers = entry.get("pool") or []
            entry.update(model_name=model_name, model_key=spec.model_key, streams=names,
                         requests=sum(int(w.get("requests") or 0) for w in workers),
                         failures=sum(int(w.get("failures") or 0) for w in workers),
                         files=model_files(spec.model, spec.model_key, ran=ran))
            out.append(entry)
        return out

    def recordings(self, name: str) -> list[Path]:
        stream = self.streams[name]
        sink = stream.sinks.get("recording")
        if sink is None:
            return []
        files = sink.files() if hasattr(sink, "files") else []  # finished segments and clips only
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
                  "failed": sorted(n for n, s in streams.items() if s["status"] == "failed"),
                  "degraded": sorted(n for n, s in streams.items() if s.get("health") == "degraded")}
        events: dict[str, int] = {}  # every stream's events by type (docs/events.md)
        for s in running:
            for kind, count in ((s.get("events") or {}).get("events") or {}).items():
                events[kind] = events.get(kind, 0) + count
        if events:
            totals["events"] = dict(sorted(events.items()))
        out = {"streams": streams, "totals": totals, "duration_s": round(duration, 3),
               "fps": round(totals["frames"] / duration, 3) if duration > 0 else None,
               "results": str(self._shared["results"].path) if "results" in self._shared else None,
               "backends": self._backends.pools() if self._backends else {}}
        if getattr(self, "_metrics_report", None) is not None:
            out["metrics"] = self._metrics_report
        out.update(self.services())
        return out
