"""The built-in sinks (registry kind "sink"; contract: plugins/contract.py Sink): built by
``factory(stream, context)`` for each stream that switches them on (``streams.<name>.sinks.<sink>``;
null: the default, streams/spec.py ``sink_default``). ``write(result, frame)`` runs on the stream's sink
thread (streams/sinkqueue.py): for a live source a slow sink loses (and counts) results instead of
slowing capture or inference; for a file or folder the stream waits for its sinks.

* results: one ``results.jsonl`` in the run directory for every stream; each line carries ``stream``
  (keys starting with ``_`` are never written). With ``run.mask_png`` the ``masks`` sink (tasks/sinks.py),
  run before it, writes ``masks/<stream>/<frame>.png`` and puts that path in ``mask``.
* recording: ``<services.recording.path>/<stream>/`` in rotating MP4 segments (streams/recording.py):
  an H.264 camera or file by copying its packets, anything else (or with ``services.recording.draw``)
  encoded to H.264 at the times frames arrived; event clips; retention; a failure is the stream's
  recording ``failed`` and the run ``degraded``.
* metrics: one InfluxDB point per result, tagged ``stream``, ``backend``, ``model``, ``kind``.
* buffer: the newest 100 results of the stream in memory (``context.services["buffer"][<stream>]``).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from pathlib import Path
from typing import Any, Optional

from .recording import RecordingSink  # noqa: F401  (registry sink "recording")

KEEP = 100


def jsonable(result: dict) -> dict:
    return {k: v for k, v in result.items() if not str(k).startswith("_")}


class ResultsFile:
    """results.jsonl shared by every stream of a run (one lock, one line per result)."""

    def __init__(self, path: Path):
        from ..files import open_for_write  # never through a symlink (files.py)

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open_for_write(self.path, "results file", replace=True)
        self._lock = threading.Lock()
        self.lines = 0

    def write(self, result: dict) -> None:
        line = json.dumps(jsonable(result), default=str) + "\n"
        with self._lock:
            if not self._file.closed:
                self._file.write(line)
                self.lines += 1

    def flush(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


class ResultsSink:
    def __init__(self, stream: Any, context: Any):
        self.file: ResultsFile = stream.shared("results", lambda: ResultsFile(Path(stream.run_dir) / "results.jsonl"))
        self.written = 0

    def write(self, result: dict, frame: Any) -> None:
        self.file.write(result)
        self.written += 1

    def close(self) -> Optional[dict]:
        self.file.flush()
        return {"file": str(self.file.path), "lines": self.written}


class ResultBuffer:
    """The newest results of a stream (thread-safe appends)."""

    def __init__(self, maxlen: int = KEEP):
        self.items: deque = deque(maxlen=maxlen)
        self.total = 0

    def write(self, result: dict, frame: Any = None) -> None:
        self.items.append(jsonable(result))
        self.total += 1

    def latest(self) -> Optional[dict]:
        return self.items[-1] if self.items else None

    def close(self) -> Optional[dict]:
        return {"kept": len(self.items), "total": self.total}


def buffer_sink(stream: Any, context: Any) -> ResultBuffer:
    buffer = ResultBuffer()
    context.services.setdefault("buffer", {})[stream.name] = buffer
    return buffer


class MetricsSink:
    """Points to the run's one InfluxDB client (context.services["metrics"]), tagged with the stream."""

    def __init__(self, stream: Any, context: Any):
        from ..services.metrics import MetricsClient

        self.client = stream.shared("metrics", lambda: MetricsClient(context.config.services.metrics))
        context.services.setdefault("metrics", self.client)
        self.tags = {"stream": stream.name, "backend": stream.backend_name, "model": stream.model_file}
        self.points = 0
        self.stats = stream.stats if getattr(stream.stats, "motion_enabled", False) else None  # motion gating on

    def write(self, result: dict, frame: Any) -> None:
        latency = result.get("latency_ms") or {}
        items = result.get("predictions") or result.get("poses") or result.get("classes") or []
        top = items[0] if items else {}
        fields = {"frame": result.get("frame"), "inference_ms": latency.get("inference"),
                  "capture_to_result_ms": latency.get("capture_to_result"), "objects": len(items),
                  "top_class": top.get("class"), "top_score": top.get("score")}
        for block, counts in (result.get("workflow") or {}).items():
            for name, value in counts.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    fields[f"{block}.{name}"] = value
        if self.stats is not None:
            fields["motion_gated"] = self.stats.gated  # frames kept from the device so far
        self.client.write({**self.tags, "kind": result.get("kind")}, fields)
        self.points += 1

    def close(self) -> Optional[dict]:
        return {"points": self.points}
