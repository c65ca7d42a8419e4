"""What MQTT and webhook delivery cost the stream (issue 20 item 4: "neither ever slows capture or inference").

    python bench/delivery_cost.py [--events 20000] [--frames 300]

1. The handoff: one event through a stream's EventHub into the mqtt / webhook sink (public() copy with
   redaction, JSON, the outbox), per event on the hub's thread, with the broker or server down (the case
   that must not wait) and up (mosquitto from Debian, a loopback HTTP server).
2. The pipeline: a built SSD detection model (tests/helpers/tflite_builder.py) over a generated video, fps
   with no delivery, with sinks.mqtt to a port where no broker listens, and with a live broker.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace as NS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "helpers"))

from contexts import context_for  # noqa: E402  (bench/contexts.py)


class _Stream:
    def __init__(self, name, shared):
        from coral_inference.streams.events.hub import EventHub

        self.name, self.status, self.events, self._shared = name, "running", EventHub(name, maxsize=10**6), shared

    def shared(self, key, factory):
        return self._shared.setdefault(key, factory()) if key not in self._shared else self._shared[key]


def handoff(kind: str, cfg, n: int) -> float:
    """Microseconds per event on the hub's thread."""
    from coral_inference.config.schema import MqttConfig, WebhookConfig
    from coral_inference.streams.delivery import MqttSink, WebhookSink

    shared = {}
    stream = _Stream("front", shared)
    ctx = NS(config=NS(services=NS(mqtt=cfg if kind == "mqtt" else MqttConfig(),
                                   webhook=cfg if kind == "webhook" else WebhookConfig())),
             services={}, note=lambda *a: None)
    sink = (MqttSink if kind == "mqtt" else WebhookSink)(stream, ctx)
    event = {"type": "update", "id": "front-1", "stream": "front", "track_id": 1, "label": "person", "score": 0.9,
             "box": [0.1, 0.2, 0.3, 0.4], "zones": ["porch"], "start_time": "t0", "time": "t1", "frame": 9,
             "snapshot": "snapshots/front/front-1.jpg", "_frame": object()}
    start = time.perf_counter()
    for i in range(n):
        sink._on_event(dict(event, id=f"front-{i}"))
    took = time.perf_counter() - start
    sink.close()
    shared[kind].close(timeout=0.5)
    return took / n * 1e6


def main() -> None:
    from delivery_servers import Broker, WebhookReceiver, free_port
    from media import write_video
    from tflite_builder import ssd_model

    from coral_inference.config.schema import MqttConfig, WebhookConfig
    from coral_inference.streams.run import run

    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    broker = Broker(tmp / "broker").start()
    receiver = WebhookReceiver().start()
    dead = free_port()
    try:
        print(f"handoff per event on the hub thread, {args.events} events, median of {args.repeat}:")
        cases = [("mqtt, broker down", "mqtt", MqttConfig(host="127.0.0.1", port=dead, max_queue=10**6)),
                 ("mqtt, broker up", "mqtt", MqttConfig(host="127.0.0.1", port=broker.port, max_queue=10**6)),
                 ("webhook, server down", "webhook", WebhookConfig(url=f"http://127.0.0.1:{dead}/x", max_queue=10**6)),
                 ("webhook, server up", "webhook", WebhookConfig(url=receiver.url, max_queue=10**6))]
        for label, kind, cfg in cases:
            us = statistics.median(handoff(kind, cfg, args.events) for _ in range(args.repeat))
            print(f"  {label:28s} {us:8.1f} us/event")

        model = tmp / "ssd.tflite"
        model.write_bytes(ssd_model("tf1"))
        video = write_video(tmp / "clip.mp4", frames=args.frames, size=(320, 240))
        base = ["run.mode=pipeline", "backends=cpu", f"run.source={video}", f"model.path={model}"]
        print(f"pipeline, built SSD model, {args.frames} frames 320x240, median of {args.repeat}:")
        for label, extra in [("no delivery", []),
                             ("sinks.mqtt, no broker listening", ["services.mqtt.enabled=true", "services.mqtt.host=127.0.0.1",
                                                                  f"services.mqtt.port={dead}"]),
                             ("sinks.mqtt, mosquitto", ["services.mqtt.enabled=true", "services.mqtt.host=127.0.0.1",
                                                        f"services.mqtt.port={broker.port}"])]:
            runs = []
            for _ in range(args.repeat):
                case = context_for(tmp, base + extra)
                runs.append(run(case))
                case.close()
            fps = statistics.median(r["streams"]["default"]["fps"] for r in runs)  # the stream's own rate
            m = runs[-1].get("mqtt")
            note = f"  (mqtt: {m['delivered']} delivered, {m['dropped']} dropped)" if m else ""
            print(f"  {label:34s} {fps:8.1f} fps{note}")
    finally:
        receiver.stop()
        broker.stop()


if __name__ == "__main__":
    main()
