"""streams.<name>.in_flight (streams/flight.py): a Stream with a stand-in backend (several requests at once,
answers out of order on purpose) over a real image folder, and a live source that never stops: results leave
in frame order, never more than in_flight requests at the backend, a live source sends only the newest frame."""

import dataclasses
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from coral_inference.errors import Issues
from coral_inference.runtime.config import RuntimeConfig
from coral_inference.streams.flight import effective
from coral_inference.streams.spec import build_specs
from coral_inference.streams.stream import Stream


class Backend:
    """Thread-safe like a pool of ``capacity`` devices; answers the frame's value (its first pixel), after
    ``delay(value)`` seconds, or once ``gate`` is set; counts the requests running at once."""

    def __init__(self, capacity=2, delay=lambda value: 0.0, gate=None):
        self.capacity = capacity
        self.input_details = [{"name": "x", "shape": [1, 4, 4, 3], "dtype": np.uint8, "index": 0}]
        self.output_details = [{"name": "y", "shape": [1], "dtype": np.int32, "index": 1}]
        self.delay, self.gate = delay, gate
        self.lock = threading.Lock()
        self.running = self.peak = 0
        self.sent: list[int] = []

    def infer(self, inputs):
        value = int(inputs[0].reshape(-1)[0])
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.sent.append(value)
        try:
            if self.gate is not None:
                self.gate.wait(30)
            time.sleep(self.delay(value))
            return [np.array([value], np.int32)]
        finally:
            with self.lock:
                self.running -= 1


def decode(outputs, width, height):
    return {"kind": "raw", "value": int(outputs[0][0])}


def image_folder(path, n):
    import cv2

    path.mkdir()
    for i in range(n):  # frame i is uniformly i (BGR): the backend answers i
        assert cv2.imwrite(str(path / f"{i:03d}.png"), np.full((24, 32, 3), i, np.uint8))
    return path


def make_stream(compose, tmp_path, backend, *overrides, live=False):
    config = RuntimeConfig.from_dictconfig(compose("run.mode=pipeline", *overrides))
    issues = Issues()
    [spec] = build_specs(config, issues).values()
    assert not issues.errors, issues.errors
    if live:
        spec = dataclasses.replace(spec, live=True)
    seen = []
    stream = Stream(spec, backend=backend, decode=decode, blocks=[], sinks={}, run_dir=tmp_path, shared=lambda k, f: f(),
                    subscribers=[lambda name, result, frame: seen.append(result)], model_file="stand-in")
    return stream, seen


def run(stream, timeout=60):
    stream.start()
    deadline = time.monotonic() + timeout
    while not stream.ended and time.monotonic() < deadline:
        time.sleep(0.01)
    stream.stop()
    assert stream.join(10)
    stream.close_sinks()


def test_results_leave_in_frame_order_though_answers_come_out_of_order(compose, tmp_path):
    folder = image_folder(tmp_path / "imgs", 40)
    backend = Backend(capacity=4, delay=lambda v: 0.03 if v % 3 == 0 else 0.001)  # every third answers last
    stream, seen = make_stream(compose, tmp_path, backend, f"run.source={folder}", "streams.default.in_flight=4")
    run(stream)
    assert stream.status == "finished" and stream.last_error is None
    assert [r["frame"] for r in seen] == list(range(40))
    assert [r["value"] for r in seen] == list(range(40))  # each result is its own frame's
    assert backend.peak > 1  # several at once


def test_never_more_than_in_flight_requests_at_the_backend(compose, tmp_path):
    folder = image_folder(tmp_path / "imgs", 30)
    backend = Backend(capacity=2, delay=lambda v: 0.02)
    stream, seen = make_stream(compose, tmp_path, backend, f"run.source={folder}", "streams.default.in_flight=3")
    run(stream)
    assert stream.in_flight == 3 and len(seen) == 30
    assert backend.peak == 3  # a file source may keep more than the devices: one waits ready at the pool


def test_the_default_is_the_devices_plus_one_and_one_at_a_time_stays_possible(compose, tmp_path):
    folder = image_folder(tmp_path / "imgs", 12)
    backend = Backend(capacity=2, delay=lambda v: 0.01)
    stream, _ = make_stream(compose, tmp_path, backend, f"run.source={folder}")
    assert stream.in_flight == 3
    backend = Backend(capacity=2, delay=lambda v: 0.005)
    stream, seen = make_stream(compose, tmp_path, backend, f"run.source={folder}", "streams.default.in_flight=1")
    run(stream)
    assert (stream.in_flight, backend.peak, [r["value"] for r in seen]) == (1, 1, list(range(12)))


class Camera:
    """A live source that never ends: frame k is uniformly k % 256; ``read`` counts what it produced."""

    text = "camera:stand-in"
    fps = 500.0
    unreadable = 0

    def __init__(self):
        self.produced = 0

    def open(self):
        pass

    def read(self):
        time.sleep(0.002)
        frame = np.full((24, 32, 3), self.produced % 256, np.uint8)
        self.produced += 1
        return frame

    def close(self):
        pass


def test_a_live_source_sends_only_the_newest_frame_and_holds_its_devices(compose, tmp_path):
    gate = threading.Event()
    backend = Backend(capacity=2, gate=gate)
    stream, seen = make_stream(compose, tmp_path, backend, "run.source=0", "streams.default.in_flight=8", live=True)
    stream.source = camera = Camera()
    assert stream.in_flight == 2  # a live source: at most its devices, so no frame waits at the pool
    stream.start()
    deadline = time.monotonic() + 30
    while (len(backend.sent) < 2 or camera.produced < 60) and time.monotonic() < deadline:
        time.sleep(0.01)
    produced = camera.produced  # both devices held: the newest frame waits in the buffer, older ones dropped
    assert len(backend.sent) == 2 and backend.peak == 2
    gate.set()
    while len(backend.sent) < 3 and time.monotonic() < deadline:
        time.sleep(0.001)
    stream.stop()
    assert stream.join(10)
    stream.close_sinks()
    assert produced < 256 and backend.sent[2] >= produced - 1  # the newest frame when a device freed
    assert stream.stats.dropped >= produced - 5  # the rest were replaced in the buffer, counted
    frames = [r["frame"] for r in seen]
    assert frames == list(range(len(frames)))


@settings(max_examples=60, deadline=None)
@given(configured=st.one_of(st.none(), st.integers(1, 64)), live=st.booleans(), devices=st.integers(1, 8))
def test_effective_in_flight(configured, live, devices):
    value = effective(configured, live, type("B", (), {"capacity": devices})())
    if live:
        assert 1 <= value <= devices
    else:
        assert value == (devices + 1 if configured is None else configured)


def test_in_flight_out_of_range_is_exit_2_naming_the_key(tmp_path):
    from conftest import run_cli

    proc = run_cli("coral-run", "run.mode=pipeline", "run.source=x.mp4", "streams.default.in_flight=0", cwd=tmp_path)
    assert proc.returncode == 2 and "streams.default.in_flight" in proc.stderr, proc.stderr
