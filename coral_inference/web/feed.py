"""The live results feed: the latest result of every stream and a Server-Sent Events stream of
every result. Subscribers get a bounded queue each: a slow client loses results (counted), it never
holds up a stream."""

from __future__ import annotations

import asyncio
from typing import Any

QUEUE = 256  # results held per client before the oldest are dropped


class ResultsFeed:
    def __init__(self, names: list[str]):
        self.latest: dict[str, dict | None] = {name: None for name in names}
        self.results = 0
        self.dropped = 0  # results a slow client did not get
        self._clients: set[asyncio.Queue] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @property
    def clients(self) -> int:
        return len(self._clients)

    def on_result(self, name: str, result: dict, frame: Any) -> None:
        """The stream manager's subscriber (stream thread): keep it, hand it to the clients."""
        self.latest[name] = result
        self.results += 1
        loop = self._loop
        if self._clients and loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._publish, result)
            except RuntimeError:
                pass

    def _publish(self, result: dict) -> None:
        for queue in list(self._clients):
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(result)

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(QUEUE)
        self._clients.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self._clients.discard(queue)


def public(result: dict | None) -> dict | None:
    """A result as the API shows it: without the private ``_`` keys (a segmentation's ``_mask`` array)."""
    if result is None:
        return None
    return {k: v for k, v in result.items() if not str(k).startswith("_")}


def sse(event: str, data: Any) -> bytes:
    """One Server-Sent Event (JSON data on one line)."""
    from ..redaction import public_json

    return f"event: {event}\ndata: {public_json(data)}\n\n".encode("utf-8")
