"""The ordered outbox of a delivery service (services/mqtt.py, services/webhook.py).

``put`` never blocks (the stream's event thread calls it): beyond ``max_queue`` the oldest message is
dropped and counted. The service's sender thread takes the oldest message with ``peek``, delivers it,
and only then removes it with ``done``: while the broker or server is down the message stays first, so
what is queued goes out in order once it is back.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Optional


class Outbox:
    def __init__(self, max_queue: int):
        self.max_queue = max(1, int(max_queue))
        self._items: deque = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.queued = 0  # messages ever put
        self.delivered = 0  # messages the broker or server took
        self.dropped = 0  # messages dropped: the outbox was full, or the run ended before they went out
        self.rejected = 0  # messages the server refused (a 4xx answer: retrying cannot help)

    def put(self, item: Any) -> None:
        with self._cond:
            if self._closed:
                self.dropped += 1
                return
            if len(self._items) >= self.max_queue:
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self.queued += 1
            self._cond.notify_all()

    def peek(self, timeout: Optional[float] = None) -> Any:
        """The oldest message (left in the outbox), or None after ``timeout`` / when closed and empty."""
        with self._cond:
            if not self._items and not self._closed:
                self._cond.wait(timeout)
            return self._items[0] if self._items else None

    def done(self, item: Any, delivered: bool = True) -> None:
        """``item`` (what peek gave) went out (or was rejected): remove it unless it was dropped meanwhile."""
        with self._cond:
            if self._items and self._items[0] is item:
                self._items.popleft()
                if delivered:
                    self.delivered += 1
                else:
                    self.rejected += 1
            self._cond.notify_all()

    def wait_empty(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._items, timeout)

    def close(self) -> None:
        """No more messages; what is still queued is counted as dropped."""
        with self._cond:
            self._closed = True
            self.dropped += len(self._items)
            self._items.clear()
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._items)

    def counts(self) -> dict[str, int]:
        with self._cond:
            return {"queued": self.queued, "delivered": self.delivered, "pending": len(self._items),
                    "dropped": self.dropped, "rejected": self.rejected}


def public(event: dict) -> dict:
    """An event as it leaves the process (MQTT, webhook, the web API): without the in-memory ``_`` keys
    (``_frame``), values under secret-looking keys and URL credentials redacted (redaction.py)."""
    from ..redaction import redact

    return redact({k: v for k, v in event.items() if not str(k).startswith("_")})
