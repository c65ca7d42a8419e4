"""Run the web service (coral_inference.web.service.Service) on an event loop of its own thread, for
in-process tests; plus small HTTP helpers (stdlib only, so that raw paths reach the server as sent)."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit


@contextmanager
def serving(manager, **options):
    from coral_inference.web.service import Options, Service

    service = Service(manager, Options(port=0, **options))
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(service.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    manager.start()
    thread.start()
    assert ready.wait(20), "the service did not start"
    try:
        yield service
    finally:
        asyncio.run_coroutine_threadsafe(service.stop(), loop).result(20)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        manager.stop()
        loop.close()


def request(url, path, method="GET", body=None, headers=None, timeout=10):
    """(status, headers, body bytes); ``path`` is sent exactly as given."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        hdrs.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def get_json(url, path, **kw):
    status, _, body = request(url, path, **kw)
    return status, json.loads(body)
