"""buffer_sink: keep the most recent pipeline results in memory, for plugins to read."""

from __future__ import annotations

from collections import deque
from typing import Any

from .base import Patch

KEEP = 100


class ResultBuffer:
    """The newest results (dicts as written to results.jsonl); thread-safe appends (deque)."""

    def __init__(self, maxlen: int = KEEP):
        self.items: deque = deque(maxlen=maxlen)
        self.total = 0

    def push(self, record: dict[str, Any]) -> None:
        self.items.append(record)
        self.total += 1

    def latest(self) -> dict[str, Any] | None:
        return self.items[-1] if self.items else None


class BufferSink(Patch):
    name = "buffer_sink"
    description = f"keep the last {KEEP} results in memory (context.services['buffer_sink'])"

    def start(self, context: Any) -> bool:
        context.services[self.name] = ResultBuffer()
        return True


PATCH = BufferSink()
