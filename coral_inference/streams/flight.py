"""Frames in flight (``streams.<name>.in_flight``): a stream's requests at its backend, several at once.

Two threads per stream share the work:

* the dispatcher takes a free slot (at most ``in_flight`` requests at the backend), then the next frame
  from the frame buffer, converts it to the model input if the reader has not, and sends it: with
  ``in_flight`` 1 it runs the request itself; above 1 a small executor of ``in_flight`` threads does, so
  the next frame is converted while the current one is on a device. The slot is taken *before* the frame,
  so a live source (streams/buffers.py Newest) hands over the newest frame at the moment a request can
  leave, never one that waited behind others.
* the finisher takes the requests in the order they were sent, waits for each one's outputs, and does the
  rest (decode, workflow blocks, subscribers, sinks: stream.py): results leave in frame order.

``in_flight`` None: the backend's devices + 1 (one waiting at the pool, ready when a device frees); a live
source: its devices (a request that waited at the pool would carry a stale frame). A live source given a
larger ``in_flight`` is held to its backend's devices too. A backend's devices: ``backend.capacity`` (the
pool's workers, or a segmented model's segments: backends/base.py), 1 for a backend that does not say.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Optional


def capacity(backend: Any) -> int:
    """Requests the backend runs at once: its devices (pool workers, or segments), 1 when it does not say."""
    try:
        value = int(getattr(backend, "capacity", 1) or 1)
    except (TypeError, ValueError):
        return 1
    return max(value, 1)


def effective(configured: Optional[int], live: bool, backend: Any) -> int:
    """The in_flight a stream runs with (the module doc)."""
    devices = capacity(backend)
    if configured is None:
        return devices if live else devices + 1
    return max(1, min(int(configured), devices)) if live else max(1, int(configured))


class Request:
    """One frame at the backend: its outputs once done (``result()`` waits, re-raises the backend's error)."""

    __slots__ = ("frame", "arrived", "index", "outputs", "error", "t0", "t1", "_done")

    def __init__(self, frame: Any, arrived: float, index: int = 0):
        self.frame, self.arrived, self.index = frame, arrived, index  # index: the frame's in the source
        self.outputs: Any = None
        self.error: Optional[BaseException] = None
        self.t0 = self.t1 = 0.0
        self._done = threading.Event()

    def run(self, backend: Any, inputs: list, slots: threading.Semaphore) -> None:
        try:
            self.t0 = time.monotonic()
            self.outputs = backend.infer(inputs)
        except BaseException as exc:  # handed to the finisher, which fails the stream with it
            self.error = exc
        finally:
            self.t1 = time.monotonic()
            slots.release()
            self._done.set()

    def result(self, until: threading.Event) -> Any:
        """The outputs; None when ``until`` is set first (the stream is stopping)."""
        while not self._done.wait(0.1):
            if until.is_set():
                return None
        if self.error is not None:
            raise self.error
        return self.outputs

    @property
    def inference_ms(self) -> float:
        return (self.t1 - self.t0) * 1000.0


class Sender:
    """Sends requests to ``backend``, at most ``in_flight`` at once (the dispatcher's side)."""

    def __init__(self, backend: Any, in_flight: int, name: str):
        self.backend = backend
        self.in_flight = in_flight
        self.slots = threading.Semaphore(in_flight)
        self._executor = None
        if in_flight > 1:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix=f"stream-{name}-infer")

    def slot(self, until: threading.Event) -> bool:
        """Wait for a free slot; False when ``until`` is set first."""
        while not self.slots.acquire(timeout=0.1):
            if until.is_set():
                return False
        return True

    def give_back(self) -> None:
        """A slot taken for a frame that is not sent (paused, the end of the source)."""
        self.slots.release()

    def send(self, frame: Any, inputs: list, arrived: float, index: int = 0) -> Request:
        request = Request(frame, arrived, index)
        if self._executor is None:
            request.run(self.backend, inputs, self.slots)
        else:
            self._executor.submit(request.run, self.backend, inputs, self.slots)
        return request

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
