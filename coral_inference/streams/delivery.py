"""The delivery sinks (registry kind "sink"): ``mqtt`` and ``webhook``, switched per stream by
``streams.<name>.sinks.mqtt`` / ``.webhook`` (default: ``services.<x>.enabled``).

Each subscribes to the stream's event hub (``stream.events``, streams/events/hub.py) and hands every
event to the run's one shared service (services/mqtt.py, services/webhook.py), which queues it and
returns at once: a broker or server that is slow or down never slows capture or inference. The MQTT
sink also publishes, from the stream's sink thread, the number of objects per label in each result
when it changes (retained ``<prefix>/<stream>/<label>``), and the stream's status when it changes.

``check`` (registry kind "check", name "delivery"): a stream's sink on without its service's address,
a webhook URL that is not http(s), paho-mqtt not installed. Ranges: config/ranges.py.
"""

from __future__ import annotations

from typing import Any, Optional

def object_counts(result: dict) -> Optional[dict[str, int]]:
    """Objects per label in one result: detections by label (their class id when unlabelled), poses
    as ``person`` (or their label); None for a result that holds no objects (classification,
    segmentation, raw). With a tracker (entries carry ``track_id``) only tracked objects count: one
    seen fewer than ``min_hits`` times (``track_id`` null) is not an object yet."""
    kind = result.get("kind")
    if "poses" in result and kind != "detection":
        items, default = result.get("poses") or [], "person"
    elif kind == "detection":
        items, default = result.get("predictions") or [], None
    else:
        return None
    counts: dict[str, int] = {}
    for p in items:
        if "track_id" in p and p["track_id"] is None:
            continue
        label = p.get("label") if p.get("label") not in (None, "") else (default or p.get("class"))
        counts[str(label)] = counts.get(str(label), 0) + 1
    return counts


class _EventSink:
    service_key = ""

    def __init__(self, stream: Any, context: Any):
        self.stream = stream
        self.events = 0
        hub = getattr(stream, "events", None)  # the stream's EventHub; None: this stream has no events
        self._unsubscribe = hub.subscribe(self._on_event) if hub is not None else None

    def _on_event(self, event: dict) -> None:  # the hub's thread
        self._deliver(event)
        self.events += 1

    def _deliver(self, event: dict) -> None:
        raise NotImplementedError

    def _detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


class MqttSink(_EventSink):
    def __init__(self, stream: Any, context: Any):
        from ..services.mqtt import MqttService

        cfg = context.config.services.mqtt
        self.service = stream.shared("mqtt", lambda: MqttService(cfg, context.note))
        context.services.setdefault("mqtt", self.service)
        self.counts: dict[str, int] = {}
        self.count_messages = 0
        self._status: Optional[str] = None
        self.service.watch(stream.name, lambda: stream.status)
        super().__init__(stream, context)

    def _deliver(self, event: dict) -> None:
        self.service.event(self.stream.name, event)

    def write(self, result: dict, frame: Any) -> None:
        self.service.poll_status(self.stream.name)
        counts = object_counts(result)
        if counts is None:
            return
        for label in set(counts) | set(self.counts):
            n = counts.get(label, 0)
            if self.counts.get(label) != n:
                self.service.count(self.stream.name, label, n)
                self.count_messages += 1
        self.counts = {**{k: 0 for k in self.counts}, **counts}

    def close(self) -> dict[str, Any]:
        self._detach()
        for label, n in self.counts.items():  # the stream ended: nothing of it is seen any more
            if n:
                self.service.count(self.stream.name, label, 0)
                self.count_messages += 1
        self.counts = {label: 0 for label in self.counts}
        self.service.unwatch(self.stream.name, final=self.stream.status)
        return {"events": self.events, "count_messages": self.count_messages,
                "topics": f"{self.service.topic(self.stream.name)}/(events|status|<label>)"}


class WebhookSink(_EventSink):
    def __init__(self, stream: Any, context: Any):
        from ..services.webhook import WebhookService

        cfg = context.config.services.webhook
        self.service = stream.shared("webhook", lambda: WebhookService(cfg, context.note))
        context.services.setdefault("webhook", self.service)
        super().__init__(stream, context)

    def _deliver(self, event: dict) -> None:
        self.service.post(event)

    def write(self, result: dict, frame: Any) -> None:
        pass  # events come from the hub, not from results

    def close(self) -> dict[str, Any]:
        self._detach()
        return {"events": self.events}


def check(config: Any, issues: Any) -> None:
    """Registry "check" entry "delivery" (config/validate.py runs it)."""
    import urllib.parse
    from importlib.util import find_spec

    from .sinkset import resolve
    from .spec import entries

    issues = issues.for_config(config)
    mqtt, webhook = config.services.mqtt, config.services.webhook
    using = {"mqtt": [], "webhook": []}
    for name, entry in entries(config).items():
        if not entry.config.enabled:
            continue
        sinks = resolve(config, entry.config, f"streams.{name}", None, lambda *a, **k: None)  # (names: streams check)
        for sink in using:
            if sinks.get(sink):
                using[sink].append(name)
    for sink, names in using.items():
        if not names:
            continue
        configured = dict(config.streams)
        explicit = [n for n in names if n in configured and dict(configured[n].sinks or {}).get(sink)]
        key = f"streams.{explicit[0]}.sinks.{sink}" if explicit else f"services.{sink}.enabled"
        if sink == "mqtt" and not str(mqtt.host or "").strip():
            issues.add(key, f"MQTT delivery is on for stream(s) {', '.join(names)} but services.mqtt.host is not set",
                       value=True, expected="services.mqtt.host=BROKER (a host name or address), or the sink off")
        if sink == "mqtt" and find_spec("paho") is None:
            issues.add(key, "MQTT delivery needs paho-mqtt, which is not installed", value=True,
                       expected=f"the mqtt extra: pip install 'coral_inference[mqtt]'")
        if sink == "webhook":
            url = str(webhook.url or "").strip()
            if not url:
                issues.add(key, f"webhook delivery is on for stream(s) {', '.join(names)} but services.webhook.url "
                           "is not set", value=True, expected="services.webhook.url=http(s)://HOST/PATH, or the sink off")
            else:
                parts = urllib.parse.urlsplit(url)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    from ..redaction import redact_url_credentials

                    issues.add("services.webhook.url", "not an http:// or https:// URL with a host",
                               value=redact_url_credentials(url), expected="http(s)://HOST[:PORT]/PATH")
    prefix = str(mqtt.topic_prefix)
    if any(ch in prefix for ch in "+#\0") or not prefix.strip("/"):
        issues.add("services.mqtt.topic_prefix", "not usable as the first levels of a topic", value=prefix,
                   expected="text without + # (MQTT wildcards), e.g. coral or home/coral")
