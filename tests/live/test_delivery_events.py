"""Done when (issue 20, delivery): MoveNet on a person crossing a line inside a zone (squat.bmp moved over
a canvas), through ``coral-run run.mode=pipeline`` with sinks mqtt and webhook: the events of events.jsonl
arrive on a real mosquitto and at a loopback webhook server, in the same order, also across an outage of
each (the broker stopped and started again while the run goes on, then the webhook server)."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from conftest import cli_env, console_script, coral_file, summaries
from delivery_servers import Broker, Subscriber, WebhookReceiver, have_mosquitto

pytestmark = pytest.mark.skipif(not have_mosquitto(), reason="mosquitto is not installed (apt-get install mosquitto)")


def walking_video(path, image_path, frames=40, width=1200, fps=10.0):
    """squat.bmp moved from the left edge of a white canvas to its right edge."""
    import cv2
    import numpy as np

    image = cv2.imread(str(image_path))
    height, w = image.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for i in range(frames):
        frame = np.full((height, width, 3), 255, np.uint8)
        x = int((width - w) * i / (frames - 1))
        frame[:, x:x + w] = image
        writer.write(frame)
    writer.release()
    return path


def until(predicate, what, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_events_reach_a_broker_and_a_webhook_in_order_across_their_outages(tmp_path):
    model, image = coral_file("movenet_single_pose_lightning_ptq.tflite"), coral_file("squat.bmp")
    video = walking_video(tmp_path / "walk.mp4", image)
    run_dir = tmp_path / "run"
    broker = Broker(tmp_path / "broker", user="cam", password="pw-Hk02").start()
    sub = Subscriber(broker.port, "coral/#", user="cam", password="pw-Hk02")
    receiver = WebhookReceiver().start()
    env = cli_env({"CORAL_SERVICES__MQTT__PASSWORD": "pw-Hk02", "CORAL_SERVICES__WEBHOOK__TOKEN": "tok-Hk02"})
    proc = subprocess.Popen(
        [console_script("coral-run"), "run.mode=pipeline", "backends=cpu", f"model.path={model}",
         f"streams.door.source={video}", "streams.door.max_fps=5",  # 8 s of video: time for two outages
         "streams.door.tracker.kind=iou", "streams.door.zones.hall.polygon=[[0.3, 0], [0.7, 0], [0.7, 1], [0.3, 1]]",
         "streams.door.lines.gate.points=[[0.5, 0], [0.5, 1]]", "streams.door.sinks.mqtt=true",
         "streams.door.sinks.webhook=true", "services.mqtt.host=127.0.0.1", f"services.mqtt.port={broker.port}",
         "services.mqtt.username=cam", f"services.webhook.url={receiver.url}", "services.webhook.retries=0",
         f"hydra.run.dir={run_dir}"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        mqtt_types = lambda: [e["type"] for e in sub.events("coral/door/events")]
        hook_types = lambda: [b["type"] for b in receiver.bodies()]
        until(lambda: "start" in mqtt_types(), "the start event on the broker")
        broker.stop()  # outage 1: the broker, while the person walks on; the webhook sees the run go on
        until(lambda: "enter" in hook_types(), "the enter event at the webhook while the broker is down")
        broker.start()
        until(lambda: "enter" in mqtt_types(), "the queued events on the broker once it is back")
        receiver.stop()  # outage 2: the webhook server
        until(lambda: "cross" in mqtt_types(), "the cross event on the broker while the webhook is down")
        receiver.start()
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    try:
        assert proc.returncode == 0, err
        jsonl = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
        kinds = [e["type"] for e in jsonl]
        assert [k for k in kinds if k != "update"] == ["start", "enter", "cross", "leave", "end"], kinds
        assert sub.wait_for(lambda s: len(s.events("coral/door/events")) == len(jsonl), timeout=60)
        assert receiver.wait_for(len(jsonl), timeout=60)
        ids = [e["id"] for e in jsonl]
        assert [e["id"] for e in sub.events("coral/door/events")] == ids  # in order, none lost, none twice
        assert [b["id"] for b in receiver.bodies()] == ids
        assert sub.events("coral/door/events") == receiver.bodies()  # the same objects
        first = receiver.bodies()[0]
        assert first["snapshot"] == f"snapshots/door/{first['id']}.jpg" and first["track_id"] == 1
        assert {p["headers"]["Authorization"] for p in receiver.posts} == {"Bearer tok-Hk02"}
        assert sub.on("coral/door/person")[-1] == "0" and "1" in sub.on("coral/door/person")
        assert sub.on("coral/door/status")[-1] == "finished" and sub.on("coral/available")[-1] == "offline"
        pipeline = summaries(run_dir)[0]["results"]["pipeline"]
        mqtt, hook = pipeline["mqtt"], pipeline["webhook"]
        assert mqtt["dropped"] == 0 and mqtt["disconnects"] >= 1 and mqtt["delivered"] == mqtt["queued"]
        assert hook["dropped"] == 0 and hook["outages"] == 1 and hook["delivered"] == len(jsonl)
        assert pipeline["streams"]["door"]["sinks"]["mqtt"]["events"] == len(jsonl)
        texts = [out, err] + [p.read_text(errors="replace") for p in run_dir.rglob("*")
                              if p.is_file() and p.suffix != ".jpg"]
        assert not [t for t in texts if "pw-Hk02" in t or "tok-Hk02" in t]
    finally:
        receiver.stop()
        sub.close()
        broker.stop()
