"""A stand-in with exactly the StreamManager API (coral_inference/streams/manager.py), for testing the web service
in-process (the end-to-end tests run the real one through coral-run). Its streams draw real frames
(numpy) at a set rate on their own threads and call the subscribers as the real manager does."""

from __future__ import annotations

import threading
import time
from pathlib import Path


class FakeManager:
    def __init__(self, names=("default",), fps=30.0, size=(320, 240), recordings=None, geometry=None, track_id=None):
        self.names = list(names)
        self.fps, self.size = fps, size
        self._status = {n: "starting" for n in self.names}
        self._frames = {n: 0 for n in self.names}
        self._subscribers = []
        self._stop = threading.Event()
        self._threads = []
        self._recordings = recordings or {}
        self.controls = []
        self._event_subscribers = []
        self.delivery = {}  # what services() answers (mqtt, webhook reports)
        self._geometry = geometry or {}  # what geometry() answers: {stream: {"zones": …, "lines": …}}
        self.track_id = track_id  # the predictions' track_id (None: no tracking, no key)

    def start(self):
        for name in self.names:
            self._status[name] = "running"
            t = threading.Thread(target=self._loop, args=(name,), daemon=True)
            t.start()
            self._threads.append(t)

    def _loop(self, name):
        import numpy as np

        w, h = self.size
        while not self._stop.is_set():
            if self._status[name] == "running":
                i = self._frames[name]
                frame = np.full((h, w, 3), (i * 7) % 256, np.uint8)
                frame[h // 4: h // 2, w // 4: w // 2] = (0, 0, 255)
                result = {"stream": name, "frame": i, "kind": "detection", "time": "t",
                          "predictions": [{"class": 1, "label": "thing", "score": 0.9,
                                           "box": [0.25, 0.25, 0.5, 0.5], "box_px": [w // 4, h // 4, w // 2, h // 2]}],
                          "latency_ms": {"inference": 2.0, "capture_to_result": 5.0}, "workflow": {},
                          "_mask": frame[:, :, 0]}  # private keys (numpy) never reach the API
                if self.track_id is not None:
                    result["predictions"][0]["track_id"] = self.track_id
                self._frames[name] += 1
                for fn in list(self._subscribers):
                    fn(name, result, frame)
            time.sleep(1.0 / self.fps)

    def wait(self, stop=None, timeout=None):
        return self._stop.wait(timeout)

    def stop(self, timeout=5.0):
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        for name in self.names:
            if self._status[name] not in ("finished", "failed"):
                self._status[name] = "stopped"

    def control(self, name, action):
        if name not in self._status:
            raise KeyError(name)
        now = self._status[name]
        allowed = {"pause": ("running",), "resume": ("paused",), "stop": ("running", "paused"),
                   "start": ("stopped", "finished", "failed")}
        if now not in allowed[action]:
            raise ValueError(f"cannot {action} a {now} stream")
        self._status[name] = {"pause": "paused", "resume": "running", "stop": "stopped", "start": "running"}[action]
        self.controls.append((name, action))
        return self._status[name]

    def status(self):
        return {n: {"status": self._status[n], "frames": self._frames[n], "dropped": 1, "reconnects": 0,
                    "fps": self.fps, "latency_ms": {"p50": 2.0, "p95": 3.0, "max": 4.0},
                    "capture_to_result_ms": {"p50": 5.0, "p95": 6.0, "max": 7.0}, "workflow": {},
                    "last_error": None, "source": "fake", "model": "m", "backend": "cpu"} for n in self.names}

    def subscribe(self, fn):
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn) if fn in self._subscribers else None

    def subscribe_events(self, fn):
        self._event_subscribers.append(fn)
        return lambda: self._event_subscribers.remove(fn) if fn in self._event_subscribers else None

    def emit(self, event):
        """An event of a stream, as its hub's thread hands it to the subscribers."""
        for fn in list(self._event_subscribers):
            fn(event)

    def geometry(self):
        return {n: self._geometry.get(n, {"zones": {}, "lines": {}}) for n in self.names}

    def services(self):
        return {k: dict(v) for k, v in self.delivery.items()}

    def summary(self):
        return {"streams": self.status(), "frames": sum(self._frames.values())}

    def recordings(self, name):
        return [Path(p) for p in self._recordings.get(name, [])]
