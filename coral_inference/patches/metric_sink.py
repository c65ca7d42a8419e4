"""metric_sink: per-frame metrics to InfluxDB (services.metrics), line protocol over HTTP."""

from __future__ import annotations

from typing import Any

from .base import Patch


class MetricSink(Patch):
    name = "metric_sink"
    description = "send per-frame metrics to InfluxDB (services.metrics): batched, bounded, never blocks inference"
    supports: dict[str, str] = {}  # InfluxDB 1.x /write and 2.x /api/v2/write (server side; no client library)

    def start(self, context: Any) -> bool:
        cfg = context.config.services.metrics
        if not cfg.enabled:
            return self.skip("services.metrics.enabled is false")
        if not cfg.influxdb_url:
            return self.skip("services.metrics.influxdb_url is not set")
        from ..services.metrics import describe_target

        self.detail = describe_target(cfg)
        return True


PATCH = MetricSink()
