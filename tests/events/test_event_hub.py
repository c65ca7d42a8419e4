"""stream.events (streams/events/hub.py): attachments run before subscribers, in order, on the hub's own
thread; a failing part is recorded and the rest still runs; a file's events are never dropped."""

import threading
import time

from coral_inference.streams.events.hub import EventHub


def test_attachments_are_stored_before_any_subscriber_sees_the_event():
    hub = EventHub("front")
    seen, threads = [], set()
    hub.attach("snapshot", lambda e: f"snapshots/front/{e['id']}.jpg")
    hub.attach("clip", lambda e: e["snapshot"].replace("snapshots", "clips"))  # sees the earlier attachment
    hub.subscribe(lambda e: (seen.append(dict(e)), threads.add(threading.current_thread().name)))
    for i in range(50):
        hub.publish({"type": "start" if i == 0 else "update", "id": f"e{i}"})
    report = hub.close()
    assert [e["id"] for e in seen] == [f"e{i}" for i in range(50)]
    assert seen[3]["snapshot"] == "snapshots/front/e3.jpg" and seen[3]["clip"] == "clips/front/e3.jpg"
    assert threads == {"stream-front-events"}
    assert report["events"] == {"start": 1, "update": 49} and report["total"] == 50 and report["dropped"] == 0
    assert report["attachments"] == ["snapshot", "clip"]


def test_a_failing_attachment_or_subscriber_is_recorded_and_the_rest_runs():
    hub = EventHub("front")
    got = []
    hub.attach("snapshot", lambda e: 1 / 0)
    hub.subscribe(lambda e: (_ for _ in ()).throw(RuntimeError("broken sink")))
    hub.subscribe(got.append)
    hub.publish({"type": "start", "id": "a"})
    report = hub.close()
    assert got == [{"type": "start", "id": "a", "snapshot": None}]
    assert report["failures"] == 2
    assert report["errors"]["attach:snapshot"].startswith("ZeroDivisionError")
    assert any("broken sink" in v for v in report["errors"].values())


def test_unsubscribe_and_detach_and_names():
    hub = EventHub("front")
    got = []
    stop = hub.subscribe(got.append)
    detach = hub.attach("clip", lambda e: "c")
    for bad in ("", "_frame", None):
        try:
            hub.attach(bad, lambda e: None)
        except ValueError:
            pass
        else:
            raise AssertionError(f"attach({bad!r}) was accepted")
    try:
        hub.attach("clip", lambda e: None)
    except ValueError as exc:
        assert "already" in str(exc)
    detach()
    hub.publish({"type": "start", "id": "1"})
    hub.close()
    stop()
    hub.publish({"type": "end", "id": "2"})
    hub.close()
    assert got == [{"type": "start", "id": "1"}]


def test_a_file_waits_for_a_slow_subscriber_and_a_live_source_drops_counted():
    for live, expect_all in ((False, True), (True, False)):
        hub = EventHub("s", live=live, maxsize=2)
        got = []
        hub.subscribe(lambda e: (time.sleep(0.02), got.append(e["id"])))
        for i in range(20):
            hub.publish({"type": "update", "id": i})
        report = hub.close()
        if expect_all:
            assert got == list(range(20)) and report["dropped"] == 0
        else:
            assert report["dropped"] > 0 and len(got) == 20 - report["dropped"]
            assert got == sorted(got)
