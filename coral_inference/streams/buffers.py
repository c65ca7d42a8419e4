"""The two ways a stream hands items from one thread to the next, chosen once per stream (``for_source``)
and used for its frames (reader -> worker) and its results (worker -> sink thread):

* ``Newest`` (live sources): keeps the newest ``capacity`` items; a put into a full buffer replaces the
  oldest item, which counts as dropped. Capture never waits, and what is taken is never older than the
  buffer is long.
* ``Bounded`` (files and folders): a queue of ``capacity`` items with back-pressure; a put into a full
  buffer waits for room, so nothing is dropped, unless ``until`` (the stream's stop event) is set while
  it waits: then the item is refused and counts as dropped.

Both: ``put(item, until=None) -> int`` (items this put dropped: 0 or 1), ``get(until=None)`` (the oldest
item kept; ``END`` once the buffer is closed and empty, or as soon as ``until`` is set), ``close()`` (no
more items: ``get`` returns what is kept, then ``END``), ``dropped`` (the total), ``len()``.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Optional

END = object()  # what get() returns once the buffer is closed and empty (or the stream is stopping)
WAIT_S = 0.1  # how often a waiting put or get looks at its ``until`` event


class _Buffer:
    def __init__(self, capacity: int = 1):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self.capacity = capacity
        self.dropped = 0
        self._items: deque = deque()
        self._closed = False
        self._ready = threading.Condition()

    def __len__(self) -> int:
        with self._ready:
            return len(self._items)

    def get(self, until: Optional[threading.Event] = None) -> Any:
        with self._ready:
            while True:
                if until is not None and until.is_set():
                    return END
                if self._items:
                    item = self._items.popleft()
                    self._ready.notify_all()  # room for a waiting put
                    return item
                if self._closed:
                    return END
                self._ready.wait(WAIT_S)

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def _refuse(self) -> int:
        self.dropped += 1
        return 1


class Newest(_Buffer):
    """Newest items only (live): a full buffer drops its oldest item to take the new one."""

    prepare_on_put = False  # an item may be replaced: prepare it (the model input) when it is taken

    def put(self, item: Any, until: Optional[threading.Event] = None) -> int:
        with self._ready:
            if self._closed:
                return self._refuse()
            dropped = 0
            if len(self._items) >= self.capacity:
                self._items.popleft()
                dropped = self._refuse()
            self._items.append(item)
            self._ready.notify_all()
            return dropped


class Bounded(_Buffer):
    """A bounded queue with back-pressure (files): a full buffer makes the put wait."""

    prepare_on_put = True  # every item is taken: prepare it on the producer's thread while it waits

    def put(self, item: Any, until: Optional[threading.Event] = None) -> int:
        with self._ready:
            while len(self._items) >= self.capacity and not self._closed:
                if until is not None and until.is_set():
                    return self._refuse()
                self._ready.wait(WAIT_S)
            if self._closed:
                return self._refuse()
            self._items.append(item)
            self._ready.notify_all()
            return 0


def for_source(live: bool) -> type:
    """The buffer class of a stream: Newest for a live source, Bounded for a file or folder."""
    return Newest if live else Bounded
