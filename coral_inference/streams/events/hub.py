"""``stream.events``: the hub every event of one stream passes through, on a thread of its own.

    hub.subscribe(fn)      fn(event) for every event, in order             -> unsubscribe()
    hub.attach(name, fn)   fn(event) -> value, stored as event[name] before any subscriber sees it
                                                                           -> detach()

The stream's worker hands each event to ``publish`` and goes on at once (a bounded queue: a file or
folder waits when it is full, so nothing is lost; a live source drops the event and counts it). The hub
thread runs the attachments in the order they were attached (``snapshot``: the JPEG of the event,
``clip``: its video), then the subscribers in the order they subscribed (the events.jsonl, MQTT and
webhook sinks, the live page). A slow attachment delays the events after it, never capture or
inference. An attachment or subscriber that raises is recorded (``errors``) and counted; the value
of a failed attachment is None; the other parts still run.

An event is a dict (docs/events.md lists its keys); keys starting with ``_`` are in memory only and
never written: ``_frame`` is the BGR frame the event belongs to (an attachment may read it).
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Optional

QUEUE = 1000
END = object()


class EventHub:
    def __init__(self, stream: str, live: bool = False, maxsize: int = QUEUE):
        self.stream = stream
        self.live = live
        self._queue: queue.Queue = queue.Queue(maxsize=maxsize)
        self._subscribers: list[Callable[[dict], Any]] = []
        self._attached: list[tuple[str, Callable[[dict], Any]]] = []
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self.counts: dict[str, int] = {}  # events per type, as published
        self.dropped = 0  # events a full queue refused (live sources only)
        self.failures = 0  # attachments and subscribers that raised
        self.errors: dict[str, str] = {}  # the last error of each, by name

    # The interface --------------------------------------------------------------------------------
    def subscribe(self, fn: Callable[[dict], Any]) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)
        return unsubscribe

    def attach(self, name: str, fn: Callable[[dict], Any]) -> Callable[[], None]:
        if not isinstance(name, str) or not name or name.startswith("_"):
            raise ValueError(f"an attachment needs a plain name (not starting with '_'), not {name!r}")
        with self._lock:
            if any(n == name for n, _ in self._attached):
                raise ValueError(f"stream {self.stream!r}: an attachment named {name!r} is already there")
            self._attached.append((name, fn))

        def detach() -> None:
            with self._lock:
                self._attached[:] = [(n, f) for n, f in self._attached if not (n == name and f is fn)]
        return detach

    @property
    def attachments(self) -> list[str]:
        with self._lock:
            return [n for n, _ in self._attached]

    # The stream's side ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name=f"stream-{self.stream}-events", daemon=True)
            self._thread.start()

    def publish(self, event: dict) -> None:
        """Queue ``event`` for the hub thread (the stream's worker calls this)."""
        kind = str(event.get("type"))
        with self._lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
        if self._thread is None:
            self.start()
        if self.live:
            try:
                self._queue.put_nowait(event)
            except queue.Full:
                with self._lock:
                    self.dropped += 1
            return
        self._queue.put(event)

    def close(self, timeout: float = 10.0) -> dict[str, Any]:
        """Deliver what is queued (at most ``timeout`` seconds), stop the thread; the totals."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            try:
                self._queue.put(END, timeout=timeout)
            except queue.Full:
                pass
            thread.join(timeout)
        self._thread = None
        return self.report()

    def report(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {"events": dict(sorted(self.counts.items())), "total": sum(self.counts.values()),
                                   "dropped": self.dropped, "pending": self._queue.qsize(),
                                   "attachments": [n for n, _ in self._attached]}
            if self.failures:
                out["failures"] = self.failures
                out["errors"] = dict(self.errors)
        return out

    def _loop(self) -> None:
        while True:
            event = self._queue.get()
            if event is END:
                return
            self._deliver(event)

    def _deliver(self, event: dict) -> None:
        with self._lock:
            attached, subscribers = list(self._attached), list(self._subscribers)
        for name, fn in attached:
            try:
                event[name] = fn(event)
            except Exception as exc:  # one attachment's failure: recorded; the event goes on without it
                event[name] = None
                self._failed(f"attach:{name}", exc)
        for fn in subscribers:
            try:
                fn(event)
            except Exception as exc:
                self._failed(f"subscriber:{getattr(fn, '__qualname__', repr(fn))}", exc)

    def _failed(self, who: str, exc: Exception) -> None:
        from ...redaction import scrub

        message = scrub(f"{type(exc).__name__}: {exc}")
        with self._lock:
            self.failures += 1
            first = who not in self.errors
            self.errors[who] = message
        if first:  # a long-running failure: logged once, then counted
            import logging

            logging.getLogger(__name__).warning("stream %s: events %s failed (logged once, then counted): %s",
                                                self.stream, who, message)
