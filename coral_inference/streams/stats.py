"""Per-stream counters and latency windows (thread-safe; read by status() while the stream runs)."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

WINDOW = 5000  # latency samples kept per stream for the percentiles


def latency_stats(values: Any) -> dict[str, Any]:
    values = list(values)
    if not values:
        return {"count": 0, "p50": None, "p95": None, "max": None}
    values.sort()

    def pct(q: float) -> float:  # linear interpolation, as numpy.percentile
        pos = (len(values) - 1) * q
        lo = int(pos)
        hi = min(lo + 1, len(values) - 1)
        return values[lo] + (values[hi] - values[lo]) * (pos - lo)

    return {"count": len(values), "p50": round(pct(0.50), 3), "p95": round(pct(0.95), 3), "max": round(values[-1], 3)}


class StreamStats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.frames = 0  # results produced (after inference)
        self.captured = 0  # frames read from the source
        self.dropped = 0  # live frames replaced by a newer one before inference
        self.sink_dropped = 0  # results a full sink queue refused (live sources only)
        self.filtered = 0  # results a workflow block dropped
        self.unreadable = 0
        self.reconnects = 0  # successful reconnections
        self.reconnect_attempts = 0
        self.motion_enabled = False  # streams.<name>.motion.enabled (streams/motion.py)
        self.gated = 0  # frames motion gating kept from the device (nothing moved)
        self.motion_inferred = 0  # frames the gate let through: motion, the first frame, or max_idle_s
        self.motion_idle = 0  # of those, let through only because max_idle_s passed
        self.inference_ms: deque = deque(maxlen=WINDOW)
        self.capture_to_result_ms: deque = deque(maxlen=WINDOW)
        self.arrivals: deque = deque(maxlen=64)  # monotonic arrival times of recent frames
        self.first_result: float | None = None
        self.last_result: float | None = None

    def arrived(self, now: float) -> None:
        with self.lock:
            self.captured += 1
            self.arrivals.append(now)

    def arrival_fps(self) -> float | None:
        with self.lock:
            if len(self.arrivals) < 2 or self.arrivals[-1] <= self.arrivals[0]:
                return None
            return (len(self.arrivals) - 1) / (self.arrivals[-1] - self.arrivals[0])

    def result(self, inference_ms: float, capture_to_result_ms: float) -> None:
        now = time.monotonic()
        with self.lock:
            self.frames += 1
            self.inference_ms.append(inference_ms)
            self.capture_to_result_ms.append(capture_to_result_ms)
            self.first_result = self.first_result or now
            self.last_result = now

    def motion(self, outcome: str) -> None:
        """One frame looked at by the motion gate: ``moved``, ``idle`` (max_idle_s) or ``gated``."""
        with self.lock:
            if outcome == "gated":
                self.gated += 1
            else:
                self.motion_inferred += 1
                self.motion_idle += outcome == "idle"

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + n)

    def fps(self) -> float | None:
        with self.lock:
            if self.frames < 2 or not self.first_result or self.last_result <= self.first_result:
                return None
            return round((self.frames - 1) / (self.last_result - self.first_result), 3)

    def snapshot(self) -> dict[str, Any]:
        fps = self.fps()
        with self.lock:
            inference, c2r = list(self.inference_ms), list(self.capture_to_result_ms)
            counts = {"frames": self.frames, "captured": self.captured, "dropped": self.dropped,
                      "sink_dropped": self.sink_dropped, "filtered": self.filtered, "unreadable": self.unreadable,
                      "reconnects": self.reconnects, "reconnect_attempts": self.reconnect_attempts,
                      "gated": self.gated}
            motion = ({"frames": self.gated + self.motion_inferred, "gated": self.gated,
                       "inferred": self.motion_inferred, "idle": self.motion_idle} if self.motion_enabled else None)
        return {**counts, "motion": motion, "fps": fps, "latency_ms": latency_stats(inference),
                "capture_to_result_ms": latency_stats(c2r)}
