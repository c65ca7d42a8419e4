"""One stream: a reader thread, a worker thread and a sink thread.

* reader: opens the source (a live source that is down or lost reconnects with capped backoff, per
  ``streams.<name>.reconnect``), reads frames. Finite sources (files, folders) go through a bounded
  queue with back-pressure (no frame dropped) and are converted to the model input on the reader
  thread (overlapping inference); a live source keeps only the newest frame (a frame replaced before
  inference took it is counted in ``dropped``).
* worker: at most ``max_fps``, converts (live), runs the backend (its pool serves every stream's
  requests at once), decodes, runs the workflow blocks, calls the subscribers, hands the result to
  the sink thread.
* sink thread: every sink of the stream; a full queue blocks a finite source (no drops) and drops (counted
  in ``sink_dropped``) for a live one, so a slow sink never slows capture or inference.

A failure (the source, the backend, a block raising) ends this stream ``failed`` with ``last_error``;
the other streams go on.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable, Optional

from ..summary import now_iso
from .stats import StreamStats

END = object()
QUEUE = 4  # frames read ahead of inference (finite sources)
SINK_QUEUE = 32


class Stream:
    """Implements plugins/contract.py StreamInfo (name, frame, width, height) for blocks and sinks."""

    def __init__(self, name: str, config: Any, backend: Any, backend_name: str, model_name: str, decode: Any,
                 blocks: list, sinks: dict[str, Any], run: Any, run_dir: Any, shared: Callable, subscribers: list,
                 source_text: str):
        from .sources import make_source

        self.name = name
        self.config = config
        self.backend = backend
        self.backend_name = backend_name
        self.model_name = model_name
        self.decode = decode
        self.blocks = blocks
        self.sinks = sinks
        self.run = run
        self.run_dir = run_dir
        self._shared = shared
        self._subscribers = subscribers
        self.source_text = source_text
        self.source = make_source(source_text)
        self.stats = StreamStats()
        self.status = "stopped"
        self.stopped_by: Optional[str] = None
        self.last_error: Optional[str] = None
        self.frame = 0
        self.width = self.height = 0
        self.source_fps: Optional[float] = None
        self.model_file = model_name
        self.preview = getattr(config.sinks, "preview", None) is not False  # null: on
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._threads: list[threading.Thread] = []
        self._frames: Any = None
        self._latest: Optional[tuple] = None
        self._latest_ready = threading.Condition()
        self._sink_queue: queue.Queue = queue.Queue(maxsize=SINK_QUEUE)
        self._sink_thread: Optional[threading.Thread] = None
        self.sink_errors: dict[str, str] = {}

    # StreamInfo helpers for sinks --------------------------------------------------------------
    def shared(self, key: str, factory: Callable[[], Any]) -> Any:
        return self._shared(key, factory)

    def arrival_fps(self) -> Optional[float]:
        return self.stats.arrival_fps()

    @property
    def live(self) -> bool:
        return self.source.live

    @property
    def ended(self) -> bool:
        return self.status in ("stopped", "finished", "failed")

    # Life cycle ---------------------------------------------------------------------------------
    def _set(self, status: str, error: Optional[str] = None, stopped_by: Optional[str] = None) -> None:
        with self._lock:
            if self.status in ("finished", "failed", "stopped") and status not in ("starting",):
                return  # an end state sticks until the stream is started again
            self.status = status
            if error is not None:
                self.last_error = error
            if stopped_by is not None:
                self.stopped_by = stopped_by

    def start(self) -> None:
        if self._sink_thread is None:
            self._sink_thread = threading.Thread(target=self._sink_loop, name=f"stream-{self.name}-sinks", daemon=True)
            self._sink_thread.start()
        self.join()
        with self._lock:
            self.status, self.stopped_by = "starting", None
        self._stop.clear()
        self._running.set()
        self._frames = queue.Queue(maxsize=QUEUE)
        self._latest = None
        self._threads = [threading.Thread(target=self._guard(self._read), name=f"stream-{self.name}-reader", daemon=True),
                         threading.Thread(target=self._guard(self._work), name=f"stream-{self.name}-worker", daemon=True)]
        for thread in self._threads:
            thread.start()

    def pause(self) -> None:
        self._running.clear()
        self._set("paused")

    def resume(self) -> None:
        self._running.set()
        self._set("running" if self.stats.captured else "starting")

    def stop(self, reason: str = "stopped") -> None:
        self._set("stopped", stopped_by=reason)
        self._stop.set()
        self._running.set()
        with self._latest_ready:
            self._latest_ready.notify_all()

    def join(self, timeout: Optional[float] = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def close_sinks(self, timeout: float = 5.0) -> dict[str, Any]:
        """Drain the sink queue, close every sink (recordings complete); their reports."""
        if self._sink_thread is not None:
            self._sink_queue.put(END)
            self._sink_thread.join(timeout)
            self._sink_thread = None
        reports = {}
        for label, sink in self.sinks.items():
            try:
                reports[label] = sink.close()
            except Exception as exc:
                reports[label] = {"error": f"{type(exc).__name__}: {exc}"}
        if self.sink_errors:
            reports["errors"] = dict(self.sink_errors)
        return reports

    def _guard(self, target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # this stream fails; the others go on
                self._fail(exc)
        return run

    def _fail(self, exc: BaseException) -> None:
        message = getattr(exc, "render", None)
        text = message() if callable(message) else f"{type(exc).__name__}: {exc}"
        self._set("failed", error=text, stopped_by="error")
        self._stop.set()
        with self._latest_ready:
            self._latest_ready.notify_all()

    # Reader ---------------------------------------------------------------------------------------
    def _open(self) -> bool:
        """Open the source; a live one retries with backoff. False: stop asked, or attempts used up."""
        from .sources import SourceError

        rc = self.config.reconnect
        wait, attempts = rc.backoff_s, 0
        while not self._stop.is_set():
            try:
                self.source.open()
                self.source_fps = self.source.fps
                if attempts:
                    self.stats.add("reconnects")
                return True
            except SourceError as exc:
                if not self.source.live:
                    raise
                self.last_error = str(exc)
            attempts += 1
            self.stats.add("reconnect_attempts")
            if rc.max_attempts is not None and attempts > rc.max_attempts:
                raise RuntimeError(f"source lost; {rc.max_attempts} reconnect attempt(s) failed: {self.last_error}")
            if self.status != "paused":
                self._set("reconnecting")
            if self._stop.wait(wait):
                return False
            wait = min(wait * 2, rc.backoff_max_s)
        return False

    def _read(self) -> None:
        from ..backends.inputs import to_input

        details = self.backend.input_details
        try:
            while not self._stop.is_set() and self._open():
                while not self._stop.is_set():
                    frame = self.source.read()
                    now = time.monotonic()
                    if frame is None:
                        break
                    self.stats.arrived(now)
                    if self.source.live:
                        with self._latest_ready:
                            if self._latest is not None and self._running.is_set():
                                self.stats.add("dropped")
                            self._latest = (frame, None, now)
                            self._latest_ready.notify()
                        continue
                    item = (frame, [to_input(frame, d) for d in details], now)
                    while not self._stop.is_set():
                        try:
                            self._frames.put(item, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                if self._stop.is_set() or not self.source.live:  # stopped, or the end of a file or folder
                    break
                self.source.close()
                self.last_error = f"lost the live source {self.source_text!r}"
                self._set("reconnecting")
        finally:
            self.stats.add("unreadable", getattr(self.source, "unreadable", 0))
            self.source.close()
            self._put_end()

    def _put_end(self) -> None:
        if self.source.live:
            with self._latest_ready:
                self._latest = END  # type: ignore[assignment]
                self._latest_ready.notify_all()
            return
        while True:
            try:
                self._frames.put(END, timeout=0.1)
                return
            except queue.Full:
                if self._stop.is_set():
                    try:
                        self._frames.get_nowait()
                    except queue.Empty:
                        pass

    # Worker ---------------------------------------------------------------------------------------
    def _next(self) -> Any:
        if not self.source.live:
            while True:
                try:
                    return self._frames.get(timeout=0.1)
                except queue.Empty:
                    if self._stop.is_set():
                        return END
        with self._latest_ready:
            while self._latest is None:
                if self._stop.is_set():
                    return END
                self._latest_ready.wait(0.1)
            item, self._latest = self._latest, None
            if item is END:
                self._latest = END  # type: ignore[assignment]
            return item

    def _work(self) -> None:
        from ..backends.inputs import to_input

        details = self.backend.input_details
        min_gap = 1.0 / self.config.max_fps if self.config.max_fps else 0.0
        last = 0.0
        limit = self.run.max_frames
        while True:
            if not self._running.is_set():
                self._running.wait(0.1)
                if self._stop.is_set():
                    break
                continue
            if min_gap:
                delay = last + min_gap - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
            item = self._next()
            if item is END:
                break
            frame, inputs, arrived = item
            if not self._running.is_set():  # paused while waiting: this frame is not processed
                continue
            last = time.monotonic()
            if self.status in ("starting", "reconnecting"):
                self._set("running")
            if inputs is None:
                inputs = [to_input(frame, d) for d in details]
            t0 = time.monotonic()
            outputs = self.backend.infer(inputs)
            t1 = time.monotonic()
            self.height, self.width = frame.shape[:2]
            result = {"stream": self.name, "frame": self.frame, "time": now_iso()}
            result.update(self.decode(outputs, self.width, self.height))
            result["latency_ms"] = {"inference": round((t1 - t0) * 1000.0, 3)}
            result["workflow"] = {}
            result = self._workflow(result, frame)
            c2r = (time.monotonic() - arrived) * 1000.0
            self.stats.result((t1 - t0) * 1000.0, c2r)
            self.frame += 1
            if result is not None:
                result["latency_ms"]["capture_to_result"] = round(c2r, 3)
                result["_arrived"] = arrived
                for fn in (list(self._subscribers) if self.preview else ()):  # streams.<name>.sinks.preview
                    try:
                        fn(self.name, result, frame)
                    except Exception as exc:  # a subscriber's bug never stops the stream
                        self.sink_errors["subscriber"] = f"{type(exc).__name__}: {exc}"
                self._to_sinks(result, frame)
            else:
                self.stats.add("filtered")
            if limit is not None and self.frame >= limit:
                self._set("finished", stopped_by="run.max_frames")
                self._stop.set()
                return
        if not self._stop.is_set():
            self._set("finished", stopped_by="end of source")
            self._stop.set()
        elif self.status not in ("failed", "stopped", "finished"):
            self._set("stopped", stopped_by="stopped")

    def _workflow(self, result: dict, frame: Any) -> Optional[dict]:
        for label, block in self.blocks:
            try:
                result = block(result, frame, self)
            except Exception as exc:
                raise RuntimeError(f"workflow block {label!r} raised {type(exc).__name__}: {exc}") from exc
            if result is None:
                return None
        return result

    # Sinks ----------------------------------------------------------------------------------------
    def _to_sinks(self, result: dict, frame: Any) -> None:
        if not self.sinks:
            return
        item = (result, frame)
        if self.source.live:
            try:
                self._sink_queue.put_nowait(item)
            except queue.Full:
                self.stats.add("sink_dropped")
            return
        while True:  # a finite source waits for its sinks (no drops) unless the stream is stopping
            try:
                self._sink_queue.put(item, timeout=0.1)
                return
            except queue.Full:
                if self._stop.is_set():
                    self.stats.add("sink_dropped")
                    return

    def _sink_loop(self) -> None:
        while True:
            item = self._sink_queue.get()
            if item is END:
                return
            result, frame = item
            for label, sink in self.sinks.items():
                try:
                    sink.write(result, frame)
                except Exception as exc:  # one sink's failure: recorded, the others go on
                    self.sink_errors[label] = f"{type(exc).__name__}: {exc}"
