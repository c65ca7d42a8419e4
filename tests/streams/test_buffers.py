"""The two hand-over buffers of a stream (coral_inference/streams/buffers.py), with plain threads:
"newest only" for live sources (a replaced item is dropped and counted), "bounded with back-pressure"
for files (a full buffer makes the producer wait; nothing dropped unless stopping)."""

import threading
import time

import pytest

from coral_inference.streams.buffers import END, Bounded, Newest, for_source


def drain(buffer, out=None):
    out = [] if out is None else out
    while (item := buffer.get()) is not END:
        out.append(item)
    return out


def thread(target):
    started = threading.Thread(target=target, daemon=True)  # a failed test never hangs the run
    started.start()
    return started


def test_the_choice_is_made_from_live():
    assert for_source(True) is Newest and for_source(False) is Bounded
    assert not Newest.prepare_on_put and Bounded.prepare_on_put
    with pytest.raises(ValueError):
        Newest(0)


def test_newest_keeps_the_newest_and_counts_what_it_replaced():
    buffer = Newest(1)
    assert [buffer.put(i) for i in range(5)] == [0, 1, 1, 1, 1]
    assert buffer.dropped == 4 and len(buffer) == 1
    buffer.close()
    assert drain(buffer) == [4]
    assert buffer.put(5) == 1 and buffer.dropped == 5  # closed: refused, counted


def test_newest_with_room_for_several_drops_the_oldest():
    buffer = Newest(3)
    for i in range(7):
        buffer.put(i)
    buffer.close()
    assert drain(buffer) == [4, 5, 6] and buffer.dropped == 4


def test_newest_never_makes_the_producer_wait():
    buffer = Newest(1)
    started = time.monotonic()
    for i in range(10_000):
        buffer.put(i)
    assert time.monotonic() - started < 2.0
    assert buffer.get() == 9999 and buffer.dropped == 9999


def test_bounded_makes_the_producer_wait_and_drops_nothing():
    buffer = Bounded(2)
    produced = []

    def produce():
        for i in range(50):
            assert buffer.put(i) == 0
            produced.append(i)
        buffer.close()

    producer = thread(produce)
    time.sleep(0.3)
    assert len(produced) == 2 and len(buffer) == 2  # full: the third put waits for the consumer
    got = []
    while (item := buffer.get()) is not END:
        got.append(item)
        time.sleep(0.001)  # a slow consumer
    producer.join(5)
    assert got == list(range(50)) and buffer.dropped == 0


def test_bounded_refuses_only_when_stopping():
    buffer, stop = Bounded(1), threading.Event()
    assert buffer.put("a", until=stop) == 0
    result = []
    producer = thread(lambda: result.append(buffer.put("b", until=stop)))
    time.sleep(0.25)
    assert producer.is_alive()  # waiting for room
    stop.set()
    producer.join(2)
    assert result == [1] and buffer.dropped == 1
    assert buffer.get(until=stop) is END  # stopping: the consumer stops too
    assert buffer.get() == "a"


@pytest.mark.parametrize("kind", [Newest, Bounded])
def test_get_waits_for_an_item_then_end(kind):
    buffer = kind(2)
    got = []
    consumer = thread(lambda: drain(buffer, got))
    time.sleep(0.15)
    assert got == [] and consumer.is_alive()
    buffer.put("x")
    time.sleep(0.15)
    assert got == ["x"] and consumer.is_alive()
    buffer.close()
    consumer.join(2)
    assert not consumer.is_alive() and got == ["x"]


@pytest.mark.parametrize("kind", [Newest, Bounded])
def test_a_waiting_get_returns_end_when_stopping(kind):
    buffer, stop = kind(1), threading.Event()
    got = []
    consumer = thread(lambda: got.append(buffer.get(until=stop)))
    time.sleep(0.15)
    stop.set()
    consumer.join(2)
    assert got == [END]
