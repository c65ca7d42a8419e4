"""The events of the live service: the newest KEEP events of every stream (``/api/events``, filtered by
stream, type and time) and a Server-Sent Events feed of each new one (``/api/events/feed``).

Events arrive on each stream's event-hub thread (streams/events/hub.py) through one subscriber that
stores the event and returns at once; each SSE client has a bounded queue: a slow client loses events
(counted in ``dropped``), it never holds up the hub. What leaves is ``public(event)``: no in-memory
``_`` keys, secrets redacted (services/outbox.py).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import Any, Optional

KEEP = 1000  # events kept for /api/events (over all streams)
QUEUE = 256  # events held per SSE client before the oldest are dropped


class EventsFeed:
    def __init__(self, keep: int = KEEP, queue: int = QUEUE):
        self._events: deque = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._clients: set[asyncio.Queue] = set()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._queue = queue
        self.seq = 0  # events seen
        self.dropped = 0  # events a slow SSE client did not get

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @property
    def clients(self) -> int:
        return len(self._clients)

    def on_event(self, event: dict) -> None:
        """A stream hub's subscriber (its thread): keep the event, hand it to the SSE clients."""
        from ..services.outbox import public

        item = public(event)
        with self._lock:
            self.seq += 1
            item["seq"] = self.seq
            self._events.append(item)
        loop = self._loop
        if self._clients and loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._publish, item)
            except RuntimeError:
                pass

    def _publish(self, item: dict) -> None:
        for queue in list(self._clients):
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(item)

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(self._queue)
        self._clients.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self._clients.discard(queue)

    def select(self, stream: Optional[str] = None, types: Optional[set] = None, since: Optional[str] = None,
               after: Optional[int] = None, limit: int = 100) -> list[dict]:
        """The newest ``limit`` events, oldest first, that match every filter given."""
        with self._lock:
            items = list(self._events)
        out = [e for e in items if matches(e, stream, types, since, after)]
        return out[-limit:] if limit else []

    def counts(self) -> dict[str, int]:
        return {"events": self.seq, "kept": len(self._events), "clients": self.clients, "dropped": self.dropped}


def matches(event: dict, stream: Optional[str], types: Optional[set], since: Optional[str],
            after: Optional[int]) -> bool:
    if stream is not None and event.get("stream") != stream:
        return False
    if types and event.get("type") not in types:
        return False
    if since is not None and str(event.get("time") or "") <= since:
        return False
    if after is not None and int(event.get("seq") or 0) <= after:
        return False
    return True


def parse_since(text: str) -> str:
    """``since``: an ISO 8601 time (``2026-12-02T17:40:02Z``, ``…+00:00``) or seconds since the epoch;
    in the UTC form events carry (summary.now_iso), so that times compare as text. ValueError otherwise."""
    from datetime import datetime, timezone

    text = text.strip()
    try:
        moment = datetime.fromtimestamp(float(text), timezone.utc)
    except ValueError:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    except (OverflowError, OSError) as exc:
        raise ValueError(str(exc)) from None
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")  # as summary.now_iso writes
