"""Events in the live service: /api/events (filters stream, type, since, limit; bad values 400/404), the SSE
feed /api/events/feed (filtered, redacted, no in-memory keys), a slow SSE client's bounded queue, and the
delivery services in /healthz (a broker down is degraded, not a failure) and /metrics."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

import pytest

pytest.importorskip("aiohttp")
pytest.importorskip("prometheus_client")

from fake_streams import FakeManager  # noqa: E402
from web_service import get_json, request, serving  # noqa: E402


def event(i, stream="front", kind="enter", time_="2026-12-02T17:40:0{}.000+00:00"):
    return {"type": kind, "id": f"{stream}-{i}", "stream": stream, "track_id": i, "label": "person", "score": 0.8,
            "box": [0.1, 0.2, 0.3, 0.4], "zones": ["porch"], "zone": "porch", "start_time": time_.format(0),
            "time": time_.format(i), "snapshot": f"snapshots/{stream}/{stream}-{i}.jpg", "_frame": object(),
            "note": "rtsp://admin:hunter2@cam/x"}


def test_api_events_filters_and_refuses_bad_values():
    manager = FakeManager(["front", "back"])
    with serving(manager) as s:
        for i in range(6):
            manager.emit(event(i, "front", "start" if i == 0 else "enter"))
        manager.emit(event(3, "back", "cross"))
        status, body = get_json(s.url, "/api/events")
        assert status == 200 and body["count"] == 7 and [e["seq"] for e in body["events"]] == list(range(1, 8))
        assert all("_frame" not in e and "hunter2" not in json.dumps(e) for e in body["events"])
        assert [e["id"] for e in get_json(s.url, "/api/events?stream=back")[1]["events"]] == ["back-3"]
        assert [e["id"] for e in get_json(s.url, "/api/events?type=start,cross")[1]["events"]] == ["front-0", "back-3"]
        since = get_json(s.url, "/api/events?stream=front&since=2026-12-02T17:40:03Z")[1]["events"]
        assert [e["id"] for e in since] == ["front-4", "front-5"]
        epoch = get_json(s.url, "/api/events?since=1764697203")[1]["events"]  # 2025-12-02T17:40:03Z: all later
        assert len(epoch) == 7
        assert [e["id"] for e in get_json(s.url, "/api/events?limit=2")[1]["events"]] == ["front-5", "back-3"]
        assert get_json(s.url, "/api/events?stream=nope")[0] == 404
        status, body = get_json(s.url, "/api/events?since=yesterday")
        assert status == 400 and "since" in body["error"]
        assert get_json(s.url, "/api/events?limit=0")[0] == 400 and get_json(s.url, "/api/events?limit=x")[0] == 400


def _sse_events(url, path, n, timeout=20):
    """The first ``n`` ``event: event`` messages of an SSE stream."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    conn.request("GET", path)
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Type").startswith("text/event-stream")
    out, kind = [], None
    try:
        while len(out) < n:
            line = resp.fp.readline().decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "event":
                out.append(json.loads(line[6:]))
    finally:
        conn.close()
    return out


def test_the_sse_feed_gives_new_events_filtered_and_redacted():
    import threading

    manager = FakeManager(["front", "back"])
    with serving(manager) as s:
        got = []
        reader = threading.Thread(target=lambda: got.extend(_sse_events(s.url, "/api/events/feed?stream=back", 2)))
        reader.start()
        assert _wait(lambda: s.events.clients == 1)
        manager.emit(event(1, "front"))
        manager.emit(event(2, "back", "start"))
        manager.emit(event(3, "back", "end"))
        reader.join(20)
        assert [e["id"] for e in got] == ["back-2", "back-3"]
        assert all("_frame" not in e and "hunter2" not in json.dumps(e) for e in got)
        assert get_json(s.url, "/api/events/feed?type=x&since=never")[0] == 400


def test_a_slow_sse_client_loses_events_counted_and_the_hub_never_waits():
    manager = FakeManager(["front"])
    with serving(manager) as s:
        queue = s.events.subscribe()  # a client that never reads
        for i in range(400):
            manager.emit(event(i % 9))  # returns at once: the hub's thread is never held
        assert _wait(lambda: s.events.dropped == 400 - 256)
        assert queue.qsize() == 256 and s.events.counts()["events"] == 400
        s.events.unsubscribe(queue)


def test_delivery_services_in_healthz_and_metrics():
    from prometheus_client.parser import text_string_to_metric_families

    manager = FakeManager(["front"])
    manager.delivery = {"mqtt": {"state": "down", "healthy": False, "queued": 9, "delivered": 4, "pending": 5,
                                 "dropped": 0, "rejected": 0, "last_error": "cannot connect (no broker answers)"},
                        "webhook": {"state": "up", "healthy": True, "queued": 3, "delivered": 2, "pending": 0,
                                    "dropped": 1, "rejected": 0, "last_error": None}}
    with serving(manager) as s:
        status, health = get_json(s.url, "/healthz")
        assert status == 200 and health["ok"] is True and health["status"] == "degraded"
        assert health["degraded"] == {"services.mqtt": "down: cannot connect (no broker answers); 5 queued"}
        assert health["services"]["mqtt"]["pending"] == 5 and health["services"]["webhook"]["healthy"] is True
        _, _, body = request(s.url, "/metrics")
        families = {f.name: f for f in text_string_to_metric_families(body.decode())}
        value = lambda name, service: next(x.value for x in families[name].samples if x.labels == {"service": service})
        assert value("coral_delivery_delivered", "mqtt") == 4 and value("coral_delivery_dropped", "webhook") == 1
        assert value("coral_delivery_queued", "mqtt") == 9 and value("coral_delivery_pending", "mqtt") == 5
        assert value("coral_delivery_up", "mqtt") == 0 and value("coral_delivery_up", "webhook") == 1
        manager.delivery["mqtt"].update(state="connected", healthy=True)
        health = get_json(s.url, "/healthz")[1]
        assert health["status"] == "ok" and "degraded" not in health


def _wait(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False
