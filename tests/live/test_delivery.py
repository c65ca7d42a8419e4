"""Delivery to real endpoints: Debian's mosquitto on a loopback port (stopped and started again for an
outage) with a real paho client subscribing, and a loopback HTTP server taking the webhooks (also down,
then up). Events go through a stream's real EventHub into the mqtt and webhook sinks."""

from __future__ import annotations

import json
from itertools import groupby
from types import SimpleNamespace as NS

import pytest

from delivery_servers import Broker, Subscriber, WebhookReceiver, have_mosquitto

from coral_inference.config.schema import MqttConfig, WebhookConfig
from coral_inference.streams.delivery import MqttSink, WebhookSink
from coral_inference.streams.events.hub import EventHub

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed (apt-get install mosquitto)")


class FakeStream:
    """What a sink reads of a stream (plugins/contract.py StreamInfo), with a real EventHub."""

    def __init__(self, name: str, shared: dict):
        self.name, self.status, self.events, self._shared = name, "running", EventHub(name), shared

    def shared(self, key, factory):
        if key not in self._shared:
            self._shared[key] = factory()
        return self._shared[key]


def context(**services):
    notes = []
    ctx = NS(config=NS(services=NS(mqtt=services.get("mqtt", MqttConfig()),
                                   webhook=services.get("webhook", WebhookConfig()))),
             services={}, note=lambda step, message, level="info": notes.append((step, level, message)))
    return ctx, notes


def wait(predicate, timeout: float = 60.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def event(i: int, stream: str = "front", kind: str = "update") -> dict:
    return {"type": kind, "id": f"{stream}-{i}", "stream": stream, "track_id": 1, "label": "person", "score": 0.9,
            "box": [0.1, 0.1, 0.3, 0.5], "zones": [], "start_time": "t0", "time": f"t{i}", "snapshot": None,
            "_frame": b"not sent"}


def test_mqtt_events_in_order_across_a_broker_restart_with_counts_status_and_availability(tmp_path):
    broker = Broker(tmp_path / "broker", user="cam", password="pw-Kx73").start()
    sub = Subscriber(broker.port, "home/coral/#", user="cam", password="pw-Kx73")
    try:
        ctx, notes = context(mqtt=MqttConfig(enabled=True, host="127.0.0.1", port=broker.port, username="cam",
                                             password="pw-Kx73", topic_prefix="home/coral", qos=1))
        shared = {}
        stream = FakeStream("front", shared)
        after = []  # a subscriber after the sink: it must get every event while the broker is down
        sink = MqttSink(stream, ctx)
        stream.events.subscribe(after.append)
        service = shared["mqtt"]
        assert ctx.services["mqtt"] is service
        assert sub.wait_for(lambda s: s.on("home/coral/available") == ["online"])
        for i in range(5):
            stream.events.publish(event(i))
        sink.write({"kind": "detection", "predictions": [{"class": 0, "label": "person"}] * 2}, None)
        assert sub.wait_for(lambda s: len(s.on("home/coral/front/events")) == 5 and s.on("home/coral/front/person"))

        broker.stop()
        for i in range(5, 25):
            stream.events.publish(event(i))
        sink.write({"kind": "detection", "predictions": [{"class": 0, "label": "person"}]}, None)
        stream.status = "paused"
        assert stream.events.close()["total"] == 25 and len(after) == 25  # the hub never waited for the broker
        stream.events = EventHub("front")  # (a new hub: the stream's next run)
        assert wait(lambda: service.report()["state"] == "down")
        report = service.report()
        assert report["pending"] >= 20 and report["delivered"] >= 6

        broker.start()
        assert sub.wait_for(lambda s: len(s.on("home/coral/front/events")) == 25, timeout=60), sub.messages
        ids = [e["id"] for e in sub.events("home/coral/front/events")]
        assert ids == [f"front-{i}" for i in range(25)]  # in order, none lost, none twice
        first = sub.events("home/coral/front/events")[0]
        assert "_frame" not in first and first["label"] == "person" and first["box"] == [0.1, 0.1, 0.3, 0.5]
        assert sub.wait_for(lambda s: s.on("home/coral/front/status")[-1:] == ["paused"])
        # "2" may come twice: given again to the restarted broker, which had lost it, before the queued "1"
        assert [k for k, _ in groupby(sub.on("home/coral/front/person"))] == ["2", "1"]
        stream.status = "finished"
        totals = sink.close()
        assert totals["events"] == 25 and totals["count_messages"] == 3  # 2, 1, then 0 as the stream ends
        final = service.close()
        assert final["delivered"] == final["queued"] and final["dropped"] == 0 and final["disconnects"] == 1
        assert sub.wait_for(lambda s: s.on("home/coral/available")[-1:] == ["offline"])
        assert sub.on("home/coral/front/status")[-1] == "finished"
        assert [level for step, level, _ in notes if step == "mqtt"] == ["warning", "info"]  # once down, once back
        assert "pw-Kx73" not in json.dumps(final) + json.dumps(notes)
    finally:
        sub.close()
        broker.stop()


def test_retained_state_is_given_again_to_a_broker_that_lost_it(tmp_path):
    broker = Broker(tmp_path / "broker", persist=False).start()
    try:
        ctx, _ = context(mqtt=MqttConfig(host="127.0.0.1", port=broker.port))
        shared = {}
        stream = FakeStream("yard", shared)
        sink = MqttSink(stream, ctx)
        sink.write({"kind": "detection", "predictions": [{"class": 2, "label": "car"}]}, None)
        sub = Subscriber(broker.port, "coral/#")
        assert sub.wait_for(lambda s: s.on("coral/yard/car") == ["1"])
        sub.close()
        broker.stop()  # no persistence: the broker forgets the retained messages (and sessions)
        broker.start()
        assert wait(lambda: shared["mqtt"].report()["connects"] == 2)
        late = Subscriber(broker.port, "coral/#")  # subscribes after the service is back: gets retained ones
        assert late.wait_for(lambda s: s.on("coral/yard/car") == ["1"] and s.on("coral/available") == ["online"],
                             timeout=60), late.messages
        assert all(retained for t, _, retained in late.messages if t == "coral/yard/car")
        late.close()
        sink.close()
        shared["mqtt"].close()
    finally:
        broker.stop()


def test_beyond_max_queue_the_oldest_are_dropped_and_counted(tmp_path):
    broker = Broker(tmp_path / "broker").start()
    sub = Subscriber(broker.port, "coral/+/events")
    try:
        ctx, _ = context(mqtt=MqttConfig(host="127.0.0.1", port=broker.port, max_queue=5, qos=1))
        shared = {}
        stream = FakeStream("front", shared)
        sink = MqttSink(stream, ctx)
        broker.stop()
        for i in range(12):
            stream.events.publish(event(i))
        stream.events.close()
        broker.start()
        assert sub.wait_for(lambda s: len(s.on("coral/front/events")) >= 5, timeout=60), (shared["mqtt"].report(), sub.messages)
        sink.close()
        report = shared["mqtt"].close()
        ids = [e["id"] for e in sub.events("coral/front/events")]
        assert ids == [f"front-{i}" for i in range(7, 12)]
        assert report["dropped"] == 7 and report["delivered"] == 5 and report["queued"] == 12
    finally:
        sub.close()
        broker.stop()


def test_webhook_one_post_per_event_in_order_across_an_outage_with_the_bearer_token(tmp_path):
    receiver = WebhookReceiver().start()
    try:
        ctx, notes = context(webhook=WebhookConfig(enabled=True, url=receiver.url, token="tok-Qr55",
                                                   timeout_s=2, retries=1))
        shared = {}
        front, back = FakeStream("front", shared), FakeStream("back", shared)
        sinks = [WebhookSink(front, ctx), WebhookSink(back, ctx)]
        service = shared["webhook"]
        for i in range(3):
            front.events.publish(event(i, "front"))
        assert receiver.wait_for(3)
        receiver.stop()
        for i in range(3, 10):
            front.events.publish(event(i, "front"))
        back.events.publish(event(0, "back", "start"))
        front.events.close(), back.events.close()
        assert wait(lambda: service.report()["state"] == "down")
        assert service.report()["pending"] == 8
        receiver.start()
        assert receiver.wait_for(11, timeout=60)
        bodies = receiver.bodies()
        assert [b["id"] for b in bodies if b["stream"] == "front"] == [f"front-{i}" for i in range(10)]
        assert len(bodies) == 11 and all("_frame" not in b for b in bodies)
        assert {p["headers"]["Authorization"] for p in receiver.posts} == {"Bearer tok-Qr55"}
        assert all(p["headers"]["Content-Type"] == "application/json" for p in receiver.posts)
        assert [s.close()["events"] for s in sinks] == [10, 1]
        report = service.close()
        assert report["delivered"] == 11 and report["dropped"] == 0 and report["outages"] == 1
        assert report["access"] == "bearer" and "tok-Qr55" not in json.dumps(report) + json.dumps(notes)
        assert [level for step, level, _ in notes if step == "webhook"] == ["warning", "info"]
    finally:
        receiver.stop()


def test_a_refused_event_is_counted_and_the_next_goes(tmp_path):
    receiver = WebhookReceiver(status=422).start()
    try:
        ctx, _ = context(webhook=WebhookConfig(url=receiver.url, retries=0))
        shared = {}
        stream = FakeStream("front", shared)
        sink = WebhookSink(stream, ctx)
        for i in range(3):
            stream.events.publish(event(i))
        assert receiver.wait_for(3)
        stream.events.close()
        sink.close()
        report = shared["webhook"].close()
        assert report["rejected"] == 3 and report["delivered"] == 0 and report["last_error"].startswith("HTTP 422")
    finally:
        receiver.stop()


def test_coral_run_pipeline_publishes_counts_and_status_and_reports_without_the_secrets(tmp_path):
    import cv2
    import numpy as np

    from conftest import run_cli, summaries
    from tflite_builder import ssd_model

    model = tmp_path / "ssd.tflite"
    model.write_bytes(ssd_model("tf2", names=False))  # sees a person, a car and a bicycle in a grey frame
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(4):
        cv2.imwrite(str(folder / f"{i:03d}.png"), np.full((100, 160, 3), 128, np.uint8))
    labels = tmp_path / "labels.txt"
    labels.write_text("person\nbicycle\ncar\n")
    broker = Broker(tmp_path / "broker", user="cam", password="pw-Ux19").start()
    sub = Subscriber(broker.port, "coral/#", user="cam", password="pw-Ux19")
    receiver = WebhookReceiver().start()
    try:
        result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={folder}",
                         f"model.path={model}", f"model.labels={labels}", f"hydra.run.dir={tmp_path}/run",
                         "services.mqtt.enabled=true", "services.mqtt.host=127.0.0.1", f"services.mqtt.port={broker.port}",
                         "services.mqtt.username=cam", "services.webhook.enabled=true", f"services.webhook.url={receiver.url}",
                         cwd=tmp_path, env={"CORAL_SERVICES__MQTT__PASSWORD": "pw-Ux19",
                                            "CORAL_SERVICES__WEBHOOK__TOKEN": "tok-Ux19"})
        assert result.returncode == 0, result.stderr
        assert sub.wait_for(lambda s: s.on("coral/available")[-1:] == ["offline"])
        assert sub.on("coral/default/person") == ["1", "0"] and sub.on("coral/default/car") == ["1", "0"]
        assert sub.on("coral/default/status")[-1] == "finished" and sub.on("coral/available")[0] == "online"
        (summary,) = summaries(tmp_path / "run")
        pipeline = summary["results"]["pipeline"]
        assert pipeline["mqtt"]["state"] == "closed" and pipeline["mqtt"]["dropped"] == 0
        assert pipeline["mqtt"]["delivered"] == pipeline["mqtt"]["queued"] >= 7  # 6 counts + statuses
        assert pipeline["webhook"]["target"] == receiver.url and pipeline["webhook"]["access"] == "bearer"
        assert pipeline["streams"]["default"]["sinks"]["mqtt"]["count_messages"] == 6  # 1 each, then 0 each
        assert "mqtt (127.0.0.1:" in result.stdout and "webhook (" in result.stdout
        audit = run_cli("coral-runtime", "audit", "verify", str(tmp_path / "run"), cwd=tmp_path)
        assert audit.returncode == 0, audit.stderr
        assert f"service mqtt (127.0.0.1:{broker.port}): {pipeline['mqtt']['delivered']} delivered, 0 dropped" in audit.stdout
        texts = [result.stdout, result.stderr, audit.stdout] + [p.read_text(errors="replace")
                                                                for p in (tmp_path / "run").rglob("*") if p.is_file()]
        assert not [t for t in texts if "pw-Ux19" in t or "tok-Ux19" in t]
    finally:
        receiver.stop()
        sub.close()
        broker.stop()
