"""One stream, built from its StreamSpec (streams/spec.py): a reader thread (streams/reader.py), a
dispatcher and a finisher thread (streams/flight.py) and a sink thread (streams/sinkqueue.py).

* reader: opens the source (a live one reconnects per ``streams.<name>.reconnect``) and puts frames into
  the stream's frame buffer, chosen once from the spec (streams/buffers.py): a live source keeps only
  the newest frame (a frame replaced before inference took it counts in ``dropped``); a file or folder
  goes through a bounded queue with back-pressure (nothing dropped), its frames converted to the model
  input on the reader thread (overlapping inference).
* dispatcher and finisher (streams/flight.py): at most ``max_fps``, the dispatcher takes a free slot of
  ``streams.<name>.in_flight``, then the next frame, converts what is not converted yet and sends it to the
  backend (its pool serves every stream's requests at once); the finisher takes the requests in the order
  they were sent, decodes, runs the workflow blocks, calls the subscribers, hands the result to the sink
  thread.
* sink thread: every sink of the stream, behind a buffer of the same kind.
* events (``stream.events``, streams/events/hub.py): with a tracker (``streams.<name>.tracker``), the
  finisher gives each detection and pose its ``track_id`` after the workflow and publishes the tracks'
  events (streams/events/lifecycle.py) to the hub, whose own thread runs the attachments (snapshot,
  clip) and subscribers (events.jsonl, MQTT, webhooks, the page). When the finisher ends, every track ends.

A failure (the source, the backend, a block raising) ends this stream ``failed`` with ``last_error``;
the other streams go on. ``conclude`` (the manager, at the end of the run) makes a stream that produced no
frame in the whole run ``failed`` with the reason. ``health()`` says whether the stream runs what was asked
(``ok``), something less (``degraded``: its backend fell back, e.g. to the CPU twin of an Edge TPU model;
a sink failing; the source lost and reconnecting) or nothing (``failed``), with the reasons.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Optional

from ..summary import now_iso
from .buffers import END, Bounded, for_source
from .flight import Sender, effective
from .stats import StreamStats

FRAMES = {"Newest": 1, "Bounded": 4}
SIGNALS = ("SIGINT", "SIGTERM")  # frames held between reader and worker: the newest, or read ahead


class Stream:
    """Implements plugins/contract.py StreamInfo (name, frame, width, height, spec) for blocks and sinks.

    ``sinks``: name -> ``factory(stream)`` (the registry's ``factory(stream, context)`` bound to the
    run), built last here, in order; a factory may return None (it declines). ``blocks``: [(label, block)]
    of its workflow. ``shared(key, factory)``: one object per run (the results file, the metrics client);
    ``subscribers``: the manager's list of ``fn(stream_name, result, frame)``."""

    def __init__(self, spec: Any, *, backend: Any, decode: Any, blocks: list, sinks: dict[str, Callable[[Any], Any]],
                 run_dir: Any, shared: Callable, subscribers: list, model_file: str, task: Optional[dict] = None,
                 tracker: Optional[Callable[[Any], Any]] = None, problems: Optional[dict] = None):
        from .events.hub import EventHub
        from .events.lifecycle import Lifecycle
        from .sinkqueue import SinkQueue
        from .sources import make_source

        self.spec = spec
        self.name = spec.name
        self.backend = backend
        self.decode = decode
        self.blocks = blocks
        self.run_dir = run_dir
        self.model_file = model_file
        self.task = task
        self._shared = shared
        self._subscribers = subscribers
        self.source = make_source(spec.source, spec.config.open_timeout_s)
        self.stats = StreamStats()
        self.status = "stopped"
        self.stopped_by: Optional[str] = None
        self.last_error: Optional[str] = None
        self.recovered = 0  # source errors that cleared when frames flowed again
        self.frame = 0
        self.width = self.height = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._threads: list[threading.Thread] = []
        self._buffer = for_source(spec.live)  # the one live-or-file choice (streams/buffers.py)
        self._frames: Any = None
        self._reader: Any = None
        self.events = EventHub(self.name, spec.live)  # every event of this stream (docs/events.md)
        # ``tracker``: factory(stream) -> the registry's tracker for streams.<name>.tracker; None: no tracking
        self.lifecycle = Lifecycle(self.name, spec.config, tracker(self), self.events) if tracker else None
        self.in_flight = effective(spec.config.in_flight, spec.live, backend)  # streams/flight.py
        built = {label: factory(self) for label, factory in sinks.items()}
        self.sinks = {label: sink for label, sink in built.items() if sink is not None}
        # ``problems``: the run's (RuntimeContext.problems): a sink that fails degrades the run, its first error
        # the reason
        self._sink_queue = SinkQueue(self.name, self.sinks, spec.live, self.stats, problems=problems)

    # StreamInfo helpers for sinks --------------------------------------------------------------
    def shared(self, key: str, factory: Callable[[], Any]) -> Any:
        return self._shared(key, factory)

    def arrival_fps(self) -> Optional[float]:
        return self.stats.arrival_fps()

    @property
    def source_fps(self) -> Optional[float]:
        return self._reader.fps if self._reader is not None else None

    @property
    def live(self) -> bool:
        return self.spec.live

    @property
    def backend_name(self) -> Optional[str]:
        return self.spec.backend_name

    @property
    def model_name(self) -> str:
        return self.spec.model_name

    def sink_writes(self) -> dict[str, dict[str, Any]]:
        """sink -> {written, failed, error}: what each sink of the stream took so far (streams/sinkqueue.py)."""
        return self._sink_queue.counts()

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

    def _report(self, status: Optional[str], error: Optional[str]) -> None:
        """The reader's news: why the source is down, and that it is reconnecting (unless paused)."""
        if error is not None:
            self.last_error = error
        if status is not None and self.status != "paused":
            self._set(status)

    def _flowing(self) -> None:
        """Frames flow: running; the error the stream had before (the source down, a previous run's failure)
        is over: cleared from the status, counted in ``recovered``."""
        with self._lock:
            if self.status not in ("starting", "reconnecting"):
                return
            if self.last_error is not None:
                self.recovered += 1
                self.last_error = None
            self.status = "running"

    def conclude(self) -> None:
        """At the end of the run: a stream that produced no frame in the whole run failed (the reason kept)
        -- unless an operator stopped it, or a signal ended the run before a source without trouble had
        delivered."""
        with self._lock:
            if self.stats.frames or self.status == "failed" or self.stopped_by == "control":
                return
            if self.last_error is None and self.stopped_by in SIGNALS:
                return
            why = self.last_error or ("the source ended without a frame" if self.status == "finished"
                                      else "the source delivered no frame")
            self.status, self.last_error = "failed", f"no frame in the whole run: {why}"

    def health(self) -> dict[str, Any]:
        """{"state": ok | degraded | failed, "reasons": [...]} (generic over the backend and the sinks)."""
        reasons = []
        if self.status == "failed":
            return {"state": "failed", "reasons": [self.last_error or "failed"]}
        state = getattr(self.backend, "state", None)
        if getattr(state, "status", None) == "degraded":
            reasons.append(f"backend {self.backend_name}: {state.reason}")
        for sink, error in sorted(self.sink_failures().items()):
            reasons.append(f"sink {sink}: {error}")
        for label, sink in self.sinks.items():  # a sink that reports its own state (recording) and failed
            state_of = getattr(sink, "state", None)
            sink_state = state_of() if callable(state_of) else None
            if isinstance(sink_state, dict) and sink_state.get("status") == "failed" and label not in self.sink_failures():
                reasons.append(f"sink {label}: {sink_state.get('reason') or 'failed'}")
        if self.status == "reconnecting":
            reasons.append(f"reconnecting: {self.last_error}")
        return {"state": "degraded" if reasons else "ok", "reasons": reasons}

    def sink_failures(self) -> dict[str, str]:
        """sink -> "N failed write(s), first: <error>" of each sink (any kind, a plugin's too; ``preview`` for
        a subscriber) that failed: a failing sink degrades its stream."""
        return {label: f"{c['failed']} failed write(s), first: {c['error']}"
                for label, c in self.sink_writes().items() if c.get("failed")}

    def start(self) -> None:
        from ..backends.inputs import to_input
        from .motion import make_gate
        from .reader import Reader

        self._sink_queue.start()
        self.join()
        with self._lock:
            self.status, self.stopped_by = "starting", None
        self._stop.clear()
        self._running.set()
        self._frames = self._buffer(FRAMES[self._buffer.__name__])
        details = self.backend.input_details
        prepare = (lambda frame: [to_input(frame, d) for d in details]) if self._buffer.prepare_on_put else None
        self._reader = Reader(self.source, self.spec.live, self.spec.reconnect, self.stats, self._stop,
                              self._running, self._report, prepare, make_gate(self.spec.config, self.stats))
        self.in_flight = effective(self.spec.config.in_flight, self.spec.live, self.backend)
        self._sender = Sender(self.backend, self.in_flight, self.name)
        self._sent = Bounded(self.in_flight + 1)  # requests sent, oldest first (dispatcher -> finisher)
        self._threads = [threading.Thread(target=self._guard(self._read), name=f"stream-{self.name}-reader", daemon=True),
                         threading.Thread(target=self._guard(self._dispatch), name=f"stream-{self.name}-dispatch",
                                          daemon=True),
                         threading.Thread(target=self._guard(self._finish_then_end_tracks), name=f"stream-{self.name}-worker",
                                          daemon=True)]
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

    def join(self, timeout: Optional[float] = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def close_sinks(self, timeout: float = 5.0) -> dict[str, Any]:
        """Deliver the queued events, let the sinks take what is queued, close every sink (recordings
        complete); their reports."""
        self.events_report = self.events.close(timeout)
        return self._sink_queue.close(timeout)

    def events_status(self) -> Optional[dict[str, Any]]:
        """Events per type and the tracks, zones and lines of a stream with a tracker (else None)."""
        if self.lifecycle is None:
            return None
        return {**self.events.report(), **self.lifecycle.report()}

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

    def _read(self) -> None:
        self._reader.run(self._frames)

    def _finish_then_end_tracks(self) -> None:
        try:
            self._finish_all()
        finally:  # stopped, finished or failed: every track ends (its `end` event)
            if self.lifecycle is not None:
                self.lifecycle.finish()

    def _track_time(self, arrived: float, index: Optional[int]) -> float:
        """The tracker's clock: a live source's arrival time, a file's or folder's media time (its frame
        index in the source: frames motion gating skipped count too)."""
        if self.spec.live:
            return arrived
        return (self.frame if index is None else int(index)) / float(self.source_fps or 10.0)

    # Dispatcher and finisher (streams/flight.py) ------------------------------------------------
    def _dispatch(self) -> None:
        """At most max_fps: a free slot, then the next frame, converted if the reader did not, sent."""
        from ..backends.inputs import to_input

        details = self.backend.input_details
        min_gap = 1.0 / self.spec.max_fps if self.spec.max_fps else 0.0
        last = 0.0
        limit, sent = self.spec.max_frames, 0
        sender = self._sender
        try:
            while limit is None or sent < limit:
                if not self._running.is_set():
                    self._running.wait(0.1)
                    if self._stop.is_set():
                        break
                    continue
                if min_gap:
                    delay = last + min_gap - time.monotonic()
                    if delay > 0 and self._stop.wait(delay):
                        break
                if not sender.slot(self._stop):
                    break
                item = self._frames.get(until=self._stop)
                if item is END or not self._running.is_set():  # paused while waiting: this frame is not processed
                    sender.give_back()
                    if item is END:
                        break
                    continue
                frame, inputs, arrived, index = item
                last = time.monotonic()
                if self.status in ("starting", "reconnecting"):
                    self._flowing()
                if inputs is None:
                    inputs = [to_input(frame, d) for d in details]
                if self._sent.put(sender.send(frame, inputs, arrived, index), until=self._stop):
                    break  # refused: the stream is stopping
                sent += 1
        finally:
            self._sent.close()
            sender.close()

    def _finish_all(self) -> None:
        """The requests in the order they were sent: decode, workflow, subscribers, sinks."""
        limit = self.spec.max_frames
        while True:
            request = self._sent.get(until=self._stop)
            if request is END:
                break
            outputs = request.result(self._stop)
            if outputs is None:
                break
            frame, arrived, index = request.frame, request.arrived, request.index
            self.height, self.width = frame.shape[:2]
            result = {"stream": self.name, "frame": self.frame, "time": now_iso()}
            if self.stats.motion_enabled:  # motion gating skips frames: which frame of the source this is
                result["source_frame"] = index
            result.update(self.decode(outputs, self.width, self.height))
            result["latency_ms"] = {"inference": round(request.inference_ms, 3)}
            result["workflow"] = {}
            result = self._workflow(result, frame)
            if self.lifecycle is not None:  # after the filters: tracks, zones, lines, events
                self.lifecycle.step(result if result is not None else {"frame": self.frame, "time": now_iso()},
                                    frame, self._track_time(arrived, index))
            c2r = (time.monotonic() - arrived) * 1000.0
            self.stats.result(request.inference_ms, c2r)
            self.frame += 1
            if result is not None:
                result["latency_ms"]["capture_to_result"] = round(c2r, 3)
                result["_arrived"] = arrived
                for fn in (list(self._subscribers) if self.spec.preview else ()):  # streams.<name>.sinks.preview
                    try:
                        fn(self.name, result, frame)
                    except Exception as exc:  # a subscriber's bug never stops the stream: counted as preview's
                        self._sink_queue.failed("preview", exc)
                self._sink_queue.put(result, frame, until=self._stop)
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
