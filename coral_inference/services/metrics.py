"""InfluxDB metrics: line protocol over HTTP (urllib), batched in a background thread.

* InfluxDB 1.x: ``POST {url}/write?db={database}&precision=ns``;
  InfluxDB 2.x (when ``bucket`` is set): ``POST {url}/api/v2/write?org=…&bucket=…&precision=ns``.
  A ``token`` goes in the ``Authorization: Token …`` header only (a secret: never logged, never in a
  URL, never in the summary).
* ``write()`` never blocks: points go into a bounded buffer (``max_buffer``); when it is full the oldest
  point is dropped and counted. The sender thread flushes every ``flush_interval_s`` or when
  ``batch_size`` points are waiting, retries a failed batch with exponential backoff
  (``retries`` times), then drops it and counts the points. ``last_error`` is the error of the last batch
  that was given up (an error a retry got over is counted in ``recovered_errors`` only).
* ``close(timeout)`` sends what it can within ``timeout`` seconds; anything left is counted as dropped.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from typing import Any

BACKOFF_S = 0.2  # first retry wait; doubles each attempt


def _escape(text: str, chars: str) -> str:
    for ch in "\\" + chars:
        text = text.replace(ch, "\\" + ch)
    return text


def _field(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def line(measurement: str, tags: dict[str, Any], fields: dict[str, Any], ts_ns: int | None = None) -> str:
    """One point in InfluxDB line protocol (tags sorted, None values left out)."""
    head = _escape(measurement, ", ")
    for k, v in sorted(tags.items()):
        if v not in (None, ""):
            head += f",{_escape(str(k), ',= ')}={_escape(str(v), ',= ')}"
    body = ",".join(f"{_escape(str(k), ',= ')}={_field(v)}" for k, v in fields.items() if v is not None)
    return f"{head} {body}" + (f" {ts_ns}" if ts_ns is not None else "")


def write_url(cfg: Any) -> str:
    base = cfg.influxdb_url.rstrip("/")
    if cfg.bucket:
        query = {"bucket": cfg.bucket, "precision": "ns"}
        if cfg.org:
            query["org"] = cfg.org
        return f"{base}/api/v2/write?{urllib.parse.urlencode(query)}"
    return f"{base}/write?{urllib.parse.urlencode({'db': cfg.database or 'coral', 'precision': 'ns'})}"


def describe_target(cfg: Any) -> str:
    """Where points go, without the token."""
    api = "v2 /api/v2/write" if cfg.bucket else "v1 /write"
    return f"{api} at {write_url(cfg)}" + (" (token set)" if cfg.token else "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A write is never redirected: following one would send the Authorization header (the token)
    to wherever the server points, and urllib turns a redirected POST into a GET without the points.
    The batch fails (counted as dropped, not sent) with the target's origin in ``last_error``."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        target = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl))
        raise urllib.error.HTTPError(req.full_url, code, f"redirect to {target.scheme}://{target.hostname}"
                                     f"{':' + str(target.port) if target.port else ''} not followed", headers, fp)


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect)


class MetricsClient:
    def __init__(self, cfg: Any):
        self.url = write_url(cfg)
        self.v1_database = None if cfg.bucket else (cfg.database or "coral")
        self.base = cfg.influxdb_url.rstrip("/")
        self._token = cfg.token
        self.measurement = cfg.measurement
        self.batch_size = max(1, int(cfg.batch_size))
        self.interval = max(0.01, float(cfg.flush_interval_s))
        self.retries = max(0, int(cfg.retries))
        self.timeout = float(cfg.timeout_s)
        self._buffer: deque = deque()
        self._max = max(self.batch_size, int(cfg.max_buffer))
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self.stats = {"points": 0, "sent": 0, "dropped": 0, "batches": 0, "failed_batches": 0,
                      "retries": 0, "recovered_errors": 0, "last_error": None}
        self._batch_error: str | None = None
        self._created = False
        self._thread = threading.Thread(target=self._run, name="coral-metrics", daemon=True)
        self._thread.start()

    # Producer side (the pipeline thread): never blocks on the network -----------------------
    def write(self, tags: dict[str, Any], fields: dict[str, Any], ts_ns: int | None = None) -> None:
        point = line(self.measurement, tags, fields, ts_ns if ts_ns is not None else time.time_ns())
        with self._lock:
            self.stats["points"] += 1
            if len(self._buffer) >= self._max:
                self._buffer.popleft()
                self.stats["dropped"] += 1
            self._buffer.append(point)
            full = len(self._buffer) >= self.batch_size
        if full:
            self._wake.set()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until the buffer is empty and no batch is in flight (True) or ``timeout`` passes."""
        from .. import shutdown

        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._buffer or self._in_flight:
                left = shutdown.remaining(deadline - time.monotonic())  # a second signal cuts it short
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.05))
                self._wake.set()
        return True

    def close(self, timeout: float = 5.0) -> dict[str, Any]:
        from .. import shutdown

        if not self._stop.is_set():
            self.flush(timeout)
            self._stop.set()
            self._wake.set()
            # a silent server (accepts, never answers) holds a request for timeout_s per try: wait for
            # it only as long as the shutdown deadline allows; what is left counts as dropped
            shutdown.join(self._thread, max(1.0, self.timeout * (self.retries + 1)))
            with self._lock:
                self.stats["dropped"] += len(self._buffer)
                self._buffer.clear()
        return self.report()

    def report(self) -> dict[str, Any]:
        with self._lock:
            return {"target": self.url, **self.stats, "pending": len(self._buffer)}

    # Sender thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            while True:
                with self._lock:
                    batch = [self._buffer.popleft() for _ in range(min(self.batch_size, len(self._buffer)))]
                    self._in_flight = len(batch)
                if not batch:
                    break
                self._batch_error = None
                ok = self._send_with_retry(batch)
                with self._lock:
                    self.stats["batches"] += 1
                    if ok:
                        self.stats["sent"] += len(batch)
                        if self._batch_error:  # an error this batch got over on a retry: not the last error
                            self.stats["recovered_errors"] += 1
                    else:
                        self.stats["failed_batches"] += 1
                        self.stats["dropped"] += len(batch)
                        self.stats["last_error"] = self._batch_error
                    self._in_flight = 0
                    self._idle.notify_all()
                if self._stop.is_set():
                    break
            with self._lock:
                self._idle.notify_all()

    def _send_with_retry(self, batch: list[str]) -> bool:
        wait = BACKOFF_S
        for attempt in range(self.retries + 1):
            if attempt:
                with self._lock:
                    self.stats["retries"] += 1
                if self._stop.wait(wait):  # closing: no more waiting
                    return False
                wait *= 2
            try:
                self._post(self.url, "\n".join(batch).encode("utf-8"))
                return True
            except urllib.error.HTTPError as exc:
                detail = exc.read(300).decode("utf-8", "replace").strip() if exc.code >= 400 else str(exc.reason)
                self._error(f"HTTP {exc.code}: {detail}")
                if exc.code == 404 and "database not found" in detail and self._create_database():
                    return self._send_with_retry(batch)  # once: _create_database() never runs twice
                if exc.code < 400 or (exc.code < 500 and exc.code != 429):
                    return False  # a redirect (never followed) or a wrong request: retrying cannot help
            except (OSError, ValueError) as exc:
                self._error(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}")
        return False

    def _create_database(self) -> bool:
        """InfluxDB 1.x: create the database once (as Telegraf does); False if not allowed."""
        if self._created or not self.v1_database:
            return False
        self._created = True
        name = self.v1_database.replace('"', '\\"')
        body = urllib.parse.urlencode({"q": f'CREATE DATABASE "{name}"'}).encode()
        try:
            self._post(f"{self.base}/query", body, "application/x-www-form-urlencoded")
            return True
        except (OSError, ValueError):
            return False

    def _post(self, url: str, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
        if self._token:
            request.add_header("Authorization", f"Token {self._token}")
        with _opener().open(request, timeout=self.timeout) as response:
            response.read()

    def _error(self, message: str) -> None:
        from ..redaction import redact_url_credentials

        if self._token:
            message = message.replace(self._token, "***")
        message = redact_url_credentials(message)
        self._batch_error = message[:300]  # last_error only once the batch is given up (see _run)

    def __repr__(self) -> str:
        return f"MetricsClient({self.url!r})"
