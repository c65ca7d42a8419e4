"""A pool of inference workers (one interpreter per Edge TPU, or ``backends.cpu.workers=N`` on the CPU).

``infer(inputs)`` is thread-safe: it takes an idle healthy worker, runs the request, and gives the worker
back. A worker whose inference raises is marked unhealthy (the reason is kept) and never used again; the
request is retried on another worker, so a request is answered exactly once or fails with a clear error
when no healthy worker is left. An error caused by the request itself (wrong input shape or dtype,
``InputError``) or raised by coral_inference itself (a ``CoralError`` such as ``Interrupted`` on SIGTERM)
goes back to the caller and leaves the worker healthy.

``infer_many(batch)`` and ``imap(iterable)`` run requests concurrently across the workers (``invoke``
releases the GIL) and return the results in request order.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable, Iterable, Iterator

from ..errors import BackendError, CoralError


class InputError(ValueError):
    """The request's inputs do not fit the model (the worker is fine)."""


class WorkerPool:
    def __init__(self, workers: list[Any], labels: list[str] | None = None, name: str = "pool",
                 on_unhealthy: Callable[[dict[str, Any]], None] | None = None):
        if not workers:
            raise ValueError("a pool needs at least one worker")
        self.name = name
        self.workers = list(workers)
        labels = labels or [f"worker {i}" for i in range(len(workers))]
        self._slots = [{"worker": i, "label": labels[i], "healthy": True, "reason": None, "requests": 0,
                        "failures": 0} for i in range(len(workers))]
        self._idle: deque[int] = deque(range(len(workers)))
        self._cond = threading.Condition()
        self._on_unhealthy = on_unhealthy
        self._executor = None

    # Health ------------------------------------------------------------------------------------
    def health(self) -> list[dict[str, Any]]:
        with self._cond:
            return [dict(slot) for slot in self._slots]

    @property
    def healthy(self) -> int:
        with self._cond:
            return sum(1 for slot in self._slots if slot["healthy"])

    def _none_left(self) -> BackendError:
        reasons = "; ".join(f"{s['label']}: {s['reason']}" for s in self._slots)
        return BackendError(f"{self.name}: no healthy worker left ({reasons})")

    # One request -------------------------------------------------------------------------------
    def _acquire(self) -> int:
        with self._cond:
            while not self._idle:
                if not any(slot["healthy"] for slot in self._slots):
                    raise self._none_left()
                self._cond.wait()
            return self._idle.popleft()

    def _release(self, index: int, error: BaseException | None = None) -> None:
        with self._cond:
            slot = self._slots[index]
            if error is None:
                slot["requests"] += 1
                self._idle.append(index)
            else:
                slot["failures"] += 1
                slot["healthy"] = False
                slot["reason"] = f"{type(error).__name__}: {' '.join(str(error).split())}"
            self._cond.notify_all() if error is not None else self._cond.notify()
            snapshot = dict(slot)
        if error is not None and self._on_unhealthy is not None:
            self._on_unhealthy(snapshot)

    def infer(self, inputs: list[Any]) -> list[Any]:
        """Run one request on an idle healthy worker; retried on another worker if that one fails."""
        while True:
            index = self._acquire()
            try:
                outputs = self.workers[index].infer(inputs)
            except (InputError, CoralError):  # the request's fault, or ours (e.g. Interrupted): pass it on
                self._release(index)
                raise
            except Exception as exc:  # the worker failed: take it out, try the next one
                self._release(index, exc)
                continue
            except BaseException:
                self._release(index)
                raise
            self._release(index)
            return outputs

    # Many requests -----------------------------------------------------------------------------
    def _pool(self):
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=len(self.workers), thread_name_prefix=self.name)
        return self._executor

    def infer_many(self, batch: Iterable[list[Any]]) -> list[list[Any]]:
        """Results of every request, in request order (concurrent across workers)."""
        return list(self.imap(batch))

    def imap(self, requests: Iterable[list[Any]], window: int | None = None) -> Iterator[list[Any]]:
        """Stream: yields results in request order, keeping at most ``window`` requests in flight
        (default: twice the number of workers)."""
        if len(self.workers) == 1:
            for inputs in requests:
                yield self.infer(inputs)
            return
        executor = self._pool()
        window = window or 2 * len(self.workers)
        pending: deque = deque()
        try:
            for inputs in requests:
                pending.append(executor.submit(self.infer, inputs))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
