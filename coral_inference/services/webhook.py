"""services.webhook: one HTTP POST per event (a JSON object, docs/events.md), from one sender thread
shared by every stream whose ``sinks.webhook`` is on.

* ``Authorization: Bearer <token>`` when ``token`` is set (a secret: never in a message, report or log);
  redirects are never followed (one would carry the header elsewhere).
* ``post`` never blocks: events go into the outbox (services/outbox.py); beyond ``max_queue`` the oldest
  are dropped and counted.
* The sender posts the oldest event; a 2xx answer removes it. No answer (connection refused, a timeout),
  a 5xx, 408 or 429: tried again ``retries`` times 0.2 s, 0.4 s, … apart, then the server counts as down
  and the same event is tried every few seconds (at most 8 s apart) until it is taken, so events
  arrive in order. Another 4xx answer: the server refuses that event (retrying cannot help): it is
  counted in ``rejected`` and the next one goes.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Optional

from .outbox import Outbox, public

BACKOFF_S = 0.2  # first quick retry; doubles
DOWN_WAIT_MAX_S = 8.0  # longest wait between tries while the server is down
CLOSING_WAIT_S = 0.25  # between tries once the run is ending


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        raise urllib.error.HTTPError(req.full_url, code, "redirect not followed", headers, fp)


class WebhookService:
    summary_key = "webhook"  # results.pipeline.webhook (streams/manager.py)

    def __init__(self, cfg: Any, note: Optional[Callable[[str, str, str], None]] = None):
        from ..redaction import redact_url_credentials

        self.url = str(cfg.url)
        self.target = redact_url_credentials(self.url)
        self._token = cfg.token
        self.timeout = float(cfg.timeout_s)
        self.retries = int(cfg.retries)
        self._note = note or (lambda step, message, level="info": None)
        self.outbox = Outbox(cfg.max_queue)
        self.state = "idle"  # idle | up | down | closed
        self.attempts = 0
        self.failures = 0  # posts that failed (each retry counts)
        self.outages = 0
        self.last_error: Optional[str] = None
        self._noted = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()  # cuts a wait between tries short (closing, stopping)
        self._closing = False
        self._opener = urllib.request.build_opener(_NoRedirect)
        self._thread = threading.Thread(target=self._send, name="coral-webhook", daemon=True)
        self._thread.start()

    def post(self, event: dict) -> None:
        self.outbox.put(json.dumps(public(event), default=str).encode("utf-8"))

    # The sender thread ---------------------------------------------------------------------------
    def _send(self) -> None:
        tries, wait = 0, BACKOFF_S
        while not self._stop.is_set():
            body = self.outbox.peek(timeout=0.5)
            if body is None:
                continue
            verdict = self._post(body)
            if verdict in ("ok", "rejected"):
                self.outbox.done(body, delivered=verdict == "ok")
                if self.state == "down":
                    self._note("webhook", f"{self.target} answers again; {self.outbox.pending} queued "
                                          "event(s) go out in order", "info")
                self.state = "up"
                tries, wait = 0, BACKOFF_S
                continue
            tries += 1
            if tries > self.retries and self.state != "down":
                with self._lock:
                    self.state = "down"
                    self.outages += 1
                    first = not self._noted
                    self._noted = True
                if first:  # logged once; later outages are counted
                    self._note("webhook", f"{self.target}: {self.last_error}; events queue (at most "
                                          f"services.webhook.max_queue={self.outbox.max_queue}) until it answers",
                               "warning")
            self._wake.wait(CLOSING_WAIT_S if self._closing else wait)
            self._wake.clear()
            wait = min(wait * 2, DOWN_WAIT_MAX_S)

    def _post(self, body: bytes) -> str:
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "User-Agent": "coral_inference-webhook"})
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        with self._lock:
            self.attempts += 1
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(65536)
            return "ok"
        except urllib.error.HTTPError as exc:
            self._error(f"HTTP {exc.code} {exc.reason}")
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                return "rejected"
            return "retry"
        except (OSError, ValueError) as exc:  # refused, unreachable, timed out, a broken answer
            self._error(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}")
            return "retry"

    def _error(self, message: str) -> None:
        from ..redaction import redact_url_credentials, scrub

        if self._token:
            message = message.replace(str(self._token), "***")
        with self._lock:
            self.failures += 1
            self.last_error = scrub(redact_url_credentials(message))[:300]

    # The end ---------------------------------------------------------------------------------------
    def close(self, timeout: float = 5.0) -> dict[str, Any]:
        """Deliver what is queued within ``timeout`` seconds (a server that is down is tried every
        CLOSING_WAIT_S meanwhile), stop; what is left is dropped and counted."""
        if self.state == "closed":
            return self.report()
        deadline = time.monotonic() + timeout
        self._closing = True
        self._wake.set()
        while self.outbox.pending and time.monotonic() < deadline:
            self.outbox.wait_empty(min(0.2, max(0.0, deadline - time.monotonic())))
        self._stop.set()
        self._wake.set()
        self._thread.join(self.timeout + 1.0)
        self.outbox.close()
        self.state = "closed"
        return self.report()

    def healthy(self) -> bool:
        return self.state != "down"

    def report(self) -> dict[str, Any]:
        with self._lock:
            return {"target": self.target, "access": "bearer" if self._token else "open", "state": self.state,
                    **self.outbox.counts(), "max_queue": self.outbox.max_queue, "attempts": self.attempts,
                    "failures": self.failures, "outages": self.outages, "last_error": self.last_error}

    def __repr__(self) -> str:
        return f"WebhookService({self.target!r})"
