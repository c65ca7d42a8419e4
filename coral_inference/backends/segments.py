"""Pipelining a segmented model across several Edge TPUs (what pycoral's PipelinedModelRunner does).

``edgetpu_compiler --num_segments=N`` splits a model into N segment files; each segment runs on its own
Edge TPU (one InterpreterWorker per segment, each with its own device's delegate). Requests flow through
the segments on one thread per segment with a queue in front of each, so N requests are in flight at
once; results come back in request order. Segment i's outputs feed segment i+1's inputs by tensor name (the
compiler keeps the names), else by position when the counts match.

A failing segment fails that request with a BackendError naming the segment (a stream then ends with it);
there is no retry (each segment needs its own device). ``model.segments`` selects it on an Edge TPU backend (backends/edgetpu.py).

``infer``/``submit``/``imap`` may be called from several threads at once (the backend protocol): every
request goes through the same segment threads, one request at a time in each interpreter.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Iterable, Iterator

from ..errors import BackendError

_END = object()


def link(upstream: Any, downstream: Any, position: int) -> list[int]:
    """For each input of ``downstream``, the index of the ``upstream`` output that feeds it."""
    outs, ins = upstream.output_details, downstream.input_details
    names, wanted = [d["name"] for d in outs], [d["name"] for d in ins]
    if all(name in names for name in wanted):
        mapping = [names.index(name) for name in wanted]
    elif len(names) == len(wanted):
        mapping = list(range(len(wanted)))
    else:
        mapping = None
    if mapping is None or any(_signature(outs[k])[1:] != _signature(d)[1:] for k, d in zip(mapping, ins)):
        raise ValueError(
            f"segment {position} outputs {[_signature(d) for d in outs]} do not feed segment {position + 1} "
            f"inputs {[_signature(d) for d in ins]} (expected the same tensor names, or the same count, "
            "with equal shapes and dtypes)"
        )
    return mapping


def _signature(detail: dict[str, Any]) -> tuple:
    return detail["name"], tuple(int(v) for v in detail["shape"]), str(detail["dtype"])


class _Job:
    """One request through the segments: the caller waits on ``result()``."""

    __slots__ = ("outputs", "error", "_done")

    def __init__(self) -> None:
        self.outputs: Any = None
        self.error: BaseException | None = None
        self._done = threading.Event()

    def finish(self, outputs: Any = None, error: BaseException | None = None) -> None:
        self.outputs, self.error = outputs, error
        self._done.set()

    def result(self) -> list[Any]:
        self._done.wait()
        if self.error is not None:
            raise self.error
        return self.outputs


class SegmentPipeline:
    """One thread per segment, started with the first request and kept until ``close()``; a FIFO queue in
    front of each, so every request passes the segments in the order it was submitted and the results
    come back in that order. ``submit(inputs)`` returns at once (a job whose ``result()`` waits): N
    segments are all busy once N requests are submitted and not yet answered (``capacity``; streams and
    bench keep N + 1 in flight). Between two segments the one copy TFLite needs: segment i's outputs
    leave its interpreter (``get_tensor``, as segment i takes the next request at once) and are set as
    segment i + 1's inputs; the link reorders references, never data.

    ``extra``: more interpreters of a segment on its own device, each on its own thread taking from the
    same queue. The backend gives one to a segment holding CPU ops (the last segment of Coral's SSD ends in
    TFLite_Detection_PostProcess, ~0.3-0.5 ms on the host): while one interpreter runs those ops on the
    CPU, the other already has the device, so the device is not idle for the CPU part. libedgetpu shares a
    device among the interpreters of a process and runs their Edge TPU ops one at a time; two
    interpreters of one compiled model carry the same parameter-caching token, so the device should not
    reload parameters between them (to confirm on a board: docs/hardware-checklist.md). Answers of such a segment may leave
    it out of order; each request's job gets its own, and callers take them in request order."""

    def __init__(self, workers: list[Any], labels: list[str] | None = None,
                 extra: dict[int, list[Any]] | None = None):
        if not workers:
            raise ValueError("a pipeline needs at least one segment")
        self.workers = list(workers)
        # segment index -> more interpreters of that segment on the same device (``tail_interpreters``)
        self.extra = {int(i): list(w) for i, w in (extra or {}).items()}
        self.labels = labels or [f"segment {i}" for i in range(len(workers))]
        self.links = [link(a, b, i) for i, (a, b) in enumerate(zip(self.workers, self.workers[1:]))]
        self._queues: list[queue.SimpleQueue] | None = None
        self._left: list[int] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._counts = [[0, 0, None] for _ in self.workers]  # per segment: requests, failures, last error

    @property
    def input_details(self) -> list[dict[str, Any]]:
        return self.workers[0].input_details

    @property
    def output_details(self) -> list[dict[str, Any]]:
        return self.workers[-1].output_details

    @property
    def capacity(self) -> int:
        """Requests the segments run at once: one per interpreter (a segment's extra ones included)."""
        return len(self.workers) + sum(len(w) for w in self.extra.values())

    def interpreters(self, i: int) -> int:
        return 1 + len(self.extra.get(i, ()))

    def _started(self) -> list[queue.SimpleQueue]:
        with self._lock:
            if self._queues is None:
                self._queues = [queue.SimpleQueue() for _ in self.workers]
                self._left = [self.interpreters(i) for i in range(len(self.workers))]  # threads per segment
                self._threads = [threading.Thread(target=self._stage, args=(i, worker, self._queues), daemon=True,
                                                  name=f"pipeline-{self.labels[i]}")
                                 for i in range(len(self.workers))
                                 for worker in [self.workers[i], *self.extra.get(i, ())]]
                for thread in self._threads:
                    thread.start()
            return self._queues

    def _stage(self, i: int, worker: Any, queues: list[queue.SimpleQueue]) -> None:
        source = queues[i]
        sink = queues[i + 1] if i + 1 < len(queues) else None
        mapping = self.links[i] if i < len(self.links) else None
        while True:
            item = source.get()
            if item is _END:  # one per thread of this segment; the last one out passes the end on
                with self._lock:
                    self._left[i] -= 1
                    last = self._left[i] == 0
                if last and sink is not None:
                    for _ in range(self.interpreters(i + 1)):
                        sink.put(_END)
                return
            inputs, job = item
            try:
                outputs = worker.infer(inputs)
            except BaseException as exc:  # this request fails, naming the segment; the next ones go on
                reason = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
                with self._lock:
                    self._counts[i][1] += 1
                    self._counts[i][2] = reason
                job.finish(error=BackendError(f"{self.labels[i]} of the pipeline failed: {reason}"))
                continue
            with self._lock:
                self._counts[i][0] += 1
            if sink is None:
                job.finish(outputs)
            else:
                sink.put(([outputs[k] for k in mapping], job))

    def health(self) -> list[dict[str, Any]]:
        """One slot per segment, like a pool's (backends/pool.py): its device (``label``), the requests it
        answered, its failures (a segment is never taken out: each needs its own device), its interpreters."""
        with self._lock:
            return [{"worker": i, "label": self.labels[i], "segment": i, "interpreters": self.interpreters(i),
                     "healthy": True, "reason": c[2], "requests": c[0], "failures": c[1]}
                    for i, c in enumerate(self._counts)]

    def submit(self, inputs: list[Any]) -> _Job:
        job = _Job()
        self._started()[0].put((inputs, job))
        return job

    def infer(self, inputs: list[Any]) -> list[Any]:
        return self.submit(inputs).result()

    def infer_many(self, batch: Iterable[list[Any]]) -> list[list[Any]]:
        return list(self.imap(batch))

    def imap(self, requests: Iterable[list[Any]], window: int | None = None) -> Iterator[list[Any]]:
        """Yields the last segment's outputs for each request, in request order, keeping ``window``
        requests in flight (default: segments + 1). Closing the iterator early drops what is in flight."""
        from collections import deque

        window = window or len(self.workers) + 1
        pending: deque = deque()
        for inputs in requests:
            pending.append(self.submit(inputs))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self, timeout: float = 5.0) -> None:
        """Ends the segment threads once the requests submitted so far are through."""
        with self._lock:
            queues, threads, self._queues, self._threads = self._queues, self._threads, None, []
        if queues is None:
            return
        for _ in range(self.interpreters(0)):
            queues[0].put(_END)
        for thread in threads:
            thread.join(timeout)
