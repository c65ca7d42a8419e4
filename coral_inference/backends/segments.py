"""Pipelining a segmented model across several Edge TPUs (what pycoral's PipelinedModelRunner does).

``edgetpu_compiler --num_segments=N`` splits a model into N segment files; each segment runs on its own
Edge TPU (one InterpreterWorker per segment, each with its own device's delegate). Requests flow through
the segments on one thread per segment with bounded queues between them, so N requests are in flight at
once; results come back in request order. Segment i's outputs feed segment i+1's inputs by tensor name (the
compiler keeps the names), else by position when the counts match.

A failing segment ends the stream with a BackendError naming the segment; there is no retry (each segment
needs its own device). ``model.segments`` selects it on an Edge TPU backend (backends/edgetpu.py).

``infer``/``imap`` may be called from several threads at once (the backend protocol): each call streams
through the same segment workers, so a lock per segment keeps one request at a time in each interpreter.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Iterable, Iterator

from ..errors import BackendError

_END = object()


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


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


class SegmentPipeline:
    def __init__(self, workers: list[Any], labels: list[str] | None = None, depth: int = 2):
        if not workers:
            raise ValueError("a pipeline needs at least one segment")
        self.workers = list(workers)
        self.labels = labels or [f"segment {i}" for i in range(len(workers))]
        self.links = [link(a, b, i) for i, (a, b) in enumerate(zip(self.workers, self.workers[1:]))]
        self.depth = depth
        self._locks = [threading.Lock() for _ in self.workers]  # one request at a time per interpreter

    @property
    def input_details(self) -> list[dict[str, Any]]:
        return self.workers[0].input_details

    @property
    def output_details(self) -> list[dict[str, Any]]:
        return self.workers[-1].output_details

    def infer(self, inputs: list[Any]) -> list[Any]:
        return next(iter(self.imap([inputs])))

    def infer_many(self, batch: Iterable[list[Any]]) -> list[list[Any]]:
        return list(self.imap(batch))

    def imap(self, requests: Iterable[list[Any]]) -> Iterator[list[Any]]:
        """Yields the last segment's outputs for each request, in request order."""
        stop = threading.Event()
        queues = [queue.Queue(maxsize=self.depth) for _ in range(len(self.workers) + 1)]

        def put(q: queue.Queue, item: Any) -> bool:
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.05)
                    return True
                except queue.Full:
                    continue
            return False

        def get(q: queue.Queue) -> Any:
            while not stop.is_set():
                try:
                    return q.get(timeout=0.05)
                except queue.Empty:
                    continue
            return _END

        def feed() -> None:
            try:
                for inputs in requests:
                    if not put(queues[0], inputs):
                        return
            except BaseException as exc:  # the request iterator itself failed
                put(queues[0], _Failed(exc))
                return
            put(queues[0], _END)

        def stage(i: int) -> None:
            worker, source, sink = self.workers[i], queues[i], queues[i + 1]
            mapping = self.links[i] if i < len(self.links) else None
            while True:
                item = get(source)
                if item is _END or isinstance(item, _Failed):
                    put(sink, item)
                    return
                try:
                    with self._locks[i]:
                        outputs = worker.infer(item)
                except BaseException as exc:
                    put(sink, _Failed(BackendError(f"{self.labels[i]} of the pipeline failed: {type(exc).__name__}: "
                                                   f"{' '.join(str(exc).split())}")))
                    return
                if not put(sink, [outputs[k] for k in mapping] if mapping is not None else outputs):
                    return

        threads = [threading.Thread(target=feed, name="pipeline-feed", daemon=True)]
        threads += [threading.Thread(target=stage, args=(i,), name=f"pipeline-{i}", daemon=True)
                    for i in range(len(self.workers))]
        for thread in threads:
            thread.start()
        try:
            while True:
                item = get(queues[-1])
                if item is _END:
                    return
                if isinstance(item, _Failed):
                    raise item.error
                yield item
        finally:
            stop.set()
            for thread in threads[1:]:
                thread.join()
            threads[0].join(timeout=1.0)  # the feeder may sit in a blocking request iterator (daemon)
