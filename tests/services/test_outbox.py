"""services/outbox.py: the ordered outbox of the MQTT and webhook services. Whatever is put, what goes out
is in order, the newest max_queue are kept, and every message is accounted for (delivered, pending,
dropped)."""

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from coral_inference.services.outbox import Outbox, public


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 20), st.lists(st.sampled_from(["put", "deliver", "reject"]), max_size=80))
def test_order_bound_and_accounting(max_queue, steps):
    box, n, out, expected = Outbox(max_queue), 0, [], []
    for step in steps:
        if step == "put":
            box.put(n)
            expected.append(n)
            expected = expected[-max_queue:]  # the oldest go first
            n += 1
        else:
            item = box.peek(timeout=0)
            if item is None:
                continue
            assert item == expected[0]
            box.done(item, delivered=step == "deliver")
            expected.pop(0)
            if step == "deliver":
                out.append(item)
        assert box.pending == len(expected) <= max_queue
    assert out == sorted(out)
    c = box.counts()
    assert c["queued"] == n and c["delivered"] + c["rejected"] + c["pending"] + c["dropped"] == n
    box.close()
    assert box.counts()["dropped"] == n - c["delivered"] - c["rejected"] and box.peek(0) is None


def test_peek_waits_for_a_put_from_another_thread_and_close_wakes_it():
    box = Outbox(3)
    got = []
    t = threading.Thread(target=lambda: got.append(box.peek(timeout=30)))
    t.start()
    box.put("a")
    t.join(30)
    assert got == ["a"]
    t = threading.Thread(target=lambda: got.append(box.peek(timeout=30)))
    box.done("a")
    t.start()
    box.close()
    t.join(30)
    assert got == ["a", None] and not t.is_alive()


def test_public_drops_memory_only_keys_and_redacts():
    event = {"type": "start", "id": "e1", "_frame": object(), "snapshot": "snapshots/a/e1.jpg",
             "source": "rtsp://admin:hunter2@cam/live", "password": "pw"}
    out = public(event)
    assert "_frame" not in out and out["snapshot"] == "snapshots/a/e1.jpg"
    assert "hunter2" not in str(out) and out["password"] == "***" and "_frame" in event
