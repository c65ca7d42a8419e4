"""/metrics: Prometheus text from a registry of this run's own (never the process-global one).

Counters and gauges are read from the stream manager's status and the backend pools' counters at
each scrape; latency histograms observe every result (the manager's subscriber: one bisect per
value, no I/O on the stream's thread). Inference is counted per (backend, model) pair and device
(``coral_inference_*{backend, model, device}``: every model of the run, not only ``model``), each stream's
workflow blocks by their counts (``coral_workflow_count{stream, block, key}``). docs/serve.md lists them.
"""

from __future__ import annotations

from typing import Any, Callable

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
STATUSES = ("starting", "running", "paused", "reconnecting", "stopped", "finished", "failed")


class Metrics:
    def __init__(self, status: Callable[[], dict], pools: Callable[[], Any], web: Callable[[], dict],
                 delivery: Callable[[], dict] = dict, pairs: dict | None = None):
        """``pools()``: a list of {backend, model, file, key, workers} (StreamManager.backend_pools), or the
        older {backend: workers} of `model` alone; ``pairs``: stream -> (backend, model) for the latency."""
        from prometheus_client import CollectorRegistry, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self.pairs = dict(pairs or {})
        self.latency = Histogram("coral_stream_latency_seconds", "Per-result latency by stage "
                                 "(inference; capture_to_result: frame read to result)",
                                 ["stream", "stage"], buckets=BUCKETS, registry=self.registry)
        self.model_latency = Histogram("coral_inference_latency_seconds", "Inference latency per backend and model",
                                       ["backend", "model"], buckets=BUCKETS, registry=self.registry)
        self.inside: dict[tuple[str, str], int] = {}  # (stream, zone) -> objects inside in the newest result
        self.registry.register(_Collector(status, pools, web, delivery, self.inside))

    def on_result(self, name: str, result: dict, frame: Any) -> None:
        latency = result.get("latency_ms")
        if isinstance(latency, dict):
            for stage in ("inference", "capture_to_result"):
                value = latency.get(stage)
                if isinstance(value, (int, float)):
                    self.latency.labels(name, stage).observe(value / 1000.0)
            inference = latency.get("inference")
        elif isinstance(latency, (int, float)):
            self.latency.labels(name, "inference").observe(latency / 1000.0)
            inference = latency
        else:
            inference = None
        for zone, counts in (result.get("zones") or {}).items():  # occupancy now, from the newest result
            if isinstance(counts, dict) and isinstance(counts.get("inside"), int):
                self.inside[(name, str(zone))] = counts["inside"]
        pair = self.pairs.get(name)
        if pair is not None and isinstance(inference, (int, float)):
            self.model_latency.labels(str(pair[0]), str(pair[1])).observe(inference / 1000.0)

    def text(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)


class _Collector:
    def __init__(self, status: Callable[[], dict], pools: Callable[[], dict], web: Callable[[], dict],
                 delivery: Callable[[], dict] = dict, inside: dict | None = None):
        self._status, self._pools, self._web, self._delivery = status, pools, web, delivery
        self._inside = inside if inside is not None else {}

    def describe(self) -> list:
        return []  # families are only known at scrape time

    def collect(self) -> Any:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        frames = CounterMetricFamily("coral_stream_frames", "Results produced per stream", labels=["stream"])
        dropped = CounterMetricFamily("coral_stream_dropped_frames", "Frames dropped per stream", labels=["stream"])
        reconnects = CounterMetricFamily("coral_stream_reconnects", "Source reconnects per stream", labels=["stream"])
        gated = CounterMetricFamily("coral_stream_motion_gated_frames", "Frames motion gating kept from the device "
                                    "per stream (streams.<name>.motion)", labels=["stream"])
        fps = GaugeMetricFamily("coral_stream_fps", "Results per second per stream", labels=["stream"])
        state = GaugeMetricFamily("coral_stream_status", "1 for the stream's current status",
                                  labels=["stream", "status"])
        events = CounterMetricFamily("coral_events", "Events per stream and type (streams with a tracker; "
                                     "docs/events.md)", labels=["stream", "type"])
        streams = self._status()
        for name, s in streams.items():
            frames.add_metric([name], float(s.get("frames") or 0))
            dropped.add_metric([name], float(s.get("dropped") or 0))
            reconnects.add_metric([name], float(s.get("reconnects") or 0))
            gated.add_metric([name], float(s.get("gated") or 0))
            fps.add_metric([name], float(s.get("fps") or 0.0))
            for status in STATUSES:
                state.add_metric([name, status], 1.0 if s.get("status") == status else 0.0)
            for kind, count in ((s.get("events") or {}).get("events") or {}).items():
                events.add_metric([name, kind], float(count))
        yield from (frames, dropped, reconnects, gated, fps, state, events)
        yield from _sink_families(streams)

        yield _workflow_family(streams, dict(self._inside))
        yield from _backend_families(_pairs(self._pools()))

        yield from _delivery(self._delivery())

        web = self._web()
        yield _gauge("coral_web_viewers", "Live previews open (WebRTC peers and MJPEG clients)", web["viewers"])
        yield _counter("coral_web_requests", "HTTP requests answered", web["requests"])
        yield _counter("coral_webrtc_peers_served", "WebRTC peers that connected", web["peers_served"])
        yield _counter("coral_webrtc_frames_sent", "Preview frames sent over WebRTC", web["frames_sent"])
        yield _counter("coral_mjpeg_frames_sent", "Preview frames sent over MJPEG", web["mjpeg_frames_sent"])
        yield _counter("coral_web_previews_refused", "Previews refused (services.web.max_viewers)", web["refused"])
        yield _counter("coral_web_connections_refused", "Connections closed at once (services.web.max_connections)",
                       web.get("connections_refused", 0))


def _pairs(pools: Any) -> list[dict]:
    """The pools as a list of {backend, model, file, key, workers} (a {backend: workers} dict: `model`'s)."""
    if isinstance(pools, dict):
        return [{"backend": b, "model": "default", "file": None, "key": "model", "workers": w} for b, w in pools.items()]
    return list(pools or [])


def _backend_families(pairs: list[dict]) -> Any:
    """Per (backend, model) pair and device: requests, failures, healthy; the file that runs (info); and,
    per backend worker over its models, the coral_backend_* series."""
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    labels = ["backend", "model", "device"]
    requests = CounterMetricFamily("coral_inference_requests", "Inference requests served per backend, model "
                                   "and device (worker)", labels=labels)
    failures = CounterMetricFamily("coral_inference_failures", "Failed inference requests per backend, model "
                                   "and device", labels=labels)
    healthy = GaugeMetricFamily("coral_inference_worker_healthy", "1 while the worker is healthy", labels=labels)
    info = GaugeMetricFamily("coral_model_info", "1 per (backend, model) pair: the key and the file that runs "
                             "(the CPU twin when the backend fell back)", labels=["backend", "model", "key", "file"])
    per_worker: dict[tuple, list[float]] = {}
    for pair in pairs:
        backend, model = str(pair.get("backend")), str(pair.get("model"))
        info.add_metric([backend, model, str(pair.get("key") or ""), str(pair.get("file") or "")], 1.0)
        for w in pair.get("workers") or []:
            device = str(w.get("label", w.get("worker")))
            done, bad = float(w.get("requests") or 0), float(w.get("failures") or 0)
            requests.add_metric([backend, model, device], done)
            failures.add_metric([backend, model, device], bad)
            healthy.add_metric([backend, model, device], 1.0 if w.get("healthy", True) else 0.0)
            total = per_worker.setdefault((backend, device), [0.0, 0.0, 1.0])
            total[0] += done
            total[1] += bad
            total[2] = min(total[2], 1.0 if w.get("healthy", True) else 0.0)
    yield from (requests, failures, healthy, info)
    old = [CounterMetricFamily("coral_backend_requests", "Inference requests served per backend worker (all its "
                               "models)", labels=["backend", "worker"]),
           CounterMetricFamily("coral_backend_failures", "Failed requests per backend worker (all its models)",
                               labels=["backend", "worker"]),
           GaugeMetricFamily("coral_backend_worker_healthy", "1 while every model's worker on it is healthy",
                             labels=["backend", "worker"])]
    for (backend, device), values in per_worker.items():
        for family, value in zip(old, values):
            family.add_metric([backend, device], value)
    yield from old


def _workflow_family(status: dict, inside: dict | None = None) -> Any:
    """Each workflow block's counts per stream (line crossings, zone occupancy, filtered …): the numeric
    values of its summary(), nested keys joined by '.'."""
    from prometheus_client.core import GaugeMetricFamily

    family = GaugeMetricFamily("coral_workflow_count", "A workflow block's count per stream (its summary's "
                               "numbers; a tracked stream's zone:<name> enter/leave/max_inside/inside and "
                               "line:<name> in/out)",
                               labels=["stream", "block", "key"])
    for name, s in status.items():
        for block, summary in (s.get("workflow") or {}).items():
            for key, value in _numbers(summary):
                family.add_metric([name, str(block), key], float(value))
        events = s.get("events") or {}  # a tracked stream's zones and lines (docs/events.md): zone:<name>, line:<name>
        for kind in ("zones", "lines"):
            for item, counts in (events.get(kind) or {}).items():
                for key, value in _numbers(counts):
                    family.add_metric([name, f"{kind[:-1]}:{item}", key], float(value))
    for (name, zone), count in sorted((inside or {}).items()):
        family.add_metric([name, f"zone:{zone}", "inside"], float(count))
    return family


def _numbers(value: Any, prefix: str = "") -> Any:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield prefix or "value", value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _numbers(v, f"{prefix}.{k}" if prefix else str(k))


def _sink_families(status: dict) -> Any:
    """Per stream and sink (built-in or a plugin's): results written, writes that failed."""
    from prometheus_client.core import CounterMetricFamily

    written = CounterMetricFamily("coral_stream_sink_written", "Results a sink of the stream took",
                                  labels=["stream", "sink"])
    failed = CounterMetricFamily("coral_stream_sink_failed", "Results a sink of the stream failed to take",
                                 labels=["stream", "sink"])
    for name, s in status.items():
        for sink, count in (s.get("sink_writes") or {}).items():
            written.add_metric([name, sink], float(count.get("written") or 0))
            failed.add_metric([name, sink], float(count.get("failed") or 0))
    return written, failed


DELIVERY = (("delivered", "coral_delivery_delivered", "Messages the broker or server took"),
            ("queued", "coral_delivery_queued", "Messages put in the outbox"),
            ("dropped", "coral_delivery_dropped", "Messages dropped: beyond max_queue, or left when the run ended"),
            ("rejected", "coral_delivery_rejected", "Events the webhook server refused (a 4xx answer)"))


def _delivery(services: dict) -> Any:
    """services.mqtt / services.webhook: counters by service, the outbox's length and whether it is up."""
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    families = {key: CounterMetricFamily(name, doc, labels=["service"]) for key, name, doc in DELIVERY}
    pending = GaugeMetricFamily("coral_delivery_pending", "Messages waiting in the outbox", labels=["service"])
    up = GaugeMetricFamily("coral_delivery_up", "1 while the broker or server is reachable", labels=["service"])
    for service, report in sorted(services.items()):
        for key, family in families.items():
            family.add_metric([service], float(report.get(key) or 0))
        pending.add_metric([service], float(report.get("pending") or 0))
        up.add_metric([service], 1.0 if report.get("healthy", True) else 0.0)
    yield from (*families.values(), pending, up)


def _gauge(name: str, doc: str, value: float) -> Any:
    from prometheus_client.core import GaugeMetricFamily

    return GaugeMetricFamily(name, doc, value=float(value))


def _counter(name: str, doc: str, value: float) -> Any:
    from prometheus_client.core import CounterMetricFamily

    return CounterMetricFamily(name, doc, value=float(value))
