"""The HTTP routes: the page, the JSON API, the live feeds and /metrics (docs/serve.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from . import files
from .feed import public, sse
from .guard import error
from .rtc import BadOffer

STATIC = Path(__file__).with_name("static")
ACTIONS = ("start", "pause", "resume", "stop")
try:
    from aiohttp.web import AppKey

    SERVICE: Any = AppKey("service", object)
except ImportError:  # the [serve] extra is missing: run.mode=serve says so before this is used
    SERVICE = "service"


def routes(app: Any) -> None:
    from aiohttp import web

    app.add_routes([
        web.get("/", page), web.get("/healthz", healthz), web.get("/metrics", metrics),
        web.get("/api/info", info), web.get("/api/streams", streams), web.get("/api/streams/{name}", stream),
        web.post("/api/streams/{name}/webrtc", offer), web.post("/api/streams/{name}/{action}", control),
        web.get("/api/streams/{name}/latest", latest), web.get("/api/results", results),
        web.get("/api/streams/{name}/recordings", recordings),
        web.get("/api/streams/{name}/recordings/{file}", recording),
        web.get("/api/recordings", all_recordings), web.get("/api/recordings/{name}/{file}", recording),
        web.delete("/api/webrtc/{peer}", hang_up),
        web.get("/api/streams/{name}/mjpeg", mjpeg),
        web.get("/api/summary", summary), web.get("/api/config", config),
        web.get("/api/events", events), web.get("/api/events/feed", events_feed),
    ])
    app.router.add_static("/static/", STATIC, follow_symlinks=False)


def _service(request: Any) -> Any:
    return request.app[SERVICE]


def _name(request: Any) -> str:
    from aiohttp import web

    name = request.match_info["name"]
    if name not in _service(request).names:
        raise web.HTTPNotFound(reason=f"no stream named {name!r} (streams: {', '.join(_service(request).names)})")
    return name


async def page(request: Any) -> Any:
    from aiohttp import web

    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def healthz(request: Any) -> Any:
    from aiohttp import web

    report = _service(request).health()  # docs/serve.md "Health"
    if "any" in request.query:  # /healthz?any: the service is up (whatever its streams do)
        return web.json_response({**report, "service": "up"}, dumps=_dumps)
    return web.json_response(report, status=200 if report["ok"] else 503, dumps=_dumps)


async def metrics(request: Any) -> Any:
    from aiohttp import web
    from prometheus_client import CONTENT_TYPE_LATEST

    body = await asyncio.to_thread(_service(request).metrics.text)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def info(request: Any) -> Any:
    from aiohttp import web

    return web.json_response(_service(request).info())


async def streams(request: Any) -> Any:
    from aiohttp import web

    service = _service(request)
    return web.json_response({"streams": service.status(), "viewers": service.pages(),
                              "max_viewers": service.options.max_viewers}, dumps=_dumps)


async def stream(request: Any) -> Any:
    from aiohttp import web

    name = _name(request)
    return web.json_response(_service(request).status()[name], dumps=_dumps)


async def control(request: Any) -> Any:
    from aiohttp import web

    name, action = _name(request), request.match_info["action"]
    if action not in ACTIONS:
        return error(404, f"no action {action!r} (expected one of {', '.join(ACTIONS)})")
    try:
        status = await asyncio.to_thread(_service(request).manager.control, name, action)
    except ValueError as exc:
        return error(409, f"cannot {action} stream {name!r}: {exc}")
    return web.json_response({"stream": name, "action": action, "status": status}, dumps=_dumps)


async def latest(request: Any) -> Any:
    from aiohttp import web

    name = _name(request)
    return web.json_response({"stream": name, "result": public(_service(request).feed.latest.get(name))}, dumps=_dumps)


async def results(request: Any) -> Any:
    """Server-Sent Events: ``event: result`` per result (``?stream=NAME`` for one stream)."""
    from aiohttp import web

    service = _service(request)
    only = request.query.get("stream")
    if only is not None and only not in service.names:
        return error(404, f"no stream named {only!r}")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    queue = service.feed.subscribe()
    try:
        await response.write(sse("hello", {"streams": service.names}))
        while not service.stopping:
            try:
                result = await asyncio.wait_for(queue.get(), 15.0)
            except asyncio.TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if only is None or result.get("stream") == only:
                await response.write(sse("result", public(result)))
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        service.feed.unsubscribe(queue)
    return response


def _event_filters(request: Any) -> Any:
    """(stream, types, since) from ``?stream=NAME&type=start,enter&since=TIME``; an error response if bad."""
    from .events import parse_since

    service, query = _service(request), request.query
    stream = query.get("stream")
    if stream is not None and stream not in service.names:
        return error(404, f"no stream named {stream!r} (streams: {', '.join(service.names)})")
    types = {t.strip() for t in query.get("type", "").split(",") if t.strip()} or None
    since = query.get("since")
    if since is not None:
        try:
            since = parse_since(since)
        except ValueError:
            return error(400, f"since={since!r} is not a time (expected ISO 8601, e.g. 2026-12-02T17:40:00Z, "
                         "or seconds since the epoch)")
    return stream, types, since


async def events(request: Any) -> Any:
    """The newest events, oldest first: ``?stream=NAME&type=T[,T]&since=TIME&limit=N`` (N <= 1000)."""
    from aiohttp import web

    filters = _event_filters(request)
    if not isinstance(filters, tuple):
        return filters
    text = request.query.get("limit", "100")
    if not text.isdigit() or not 0 < int(text) <= 1000:
        return error(400, f"limit={text!r} is not a whole number from 1 to 1000")
    found = _service(request).events.select(*filters, limit=int(text))
    return web.json_response({"events": found, "count": len(found)}, dumps=_dumps)


async def events_feed(request: Any) -> Any:
    """Server-Sent Events: ``event: event`` per new event (the same filters as /api/events)."""
    from aiohttp import web

    from .events import matches

    service = _service(request)
    filters = _event_filters(request)
    if not isinstance(filters, tuple):
        return filters
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    queue = service.events.subscribe()
    try:
        await response.write(sse("hello", {"streams": service.names}))
        while not service.stopping:
            try:
                item = await asyncio.wait_for(queue.get(), 15.0)
            except asyncio.TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if matches(item, *filters, None):
                await response.write(sse("event", item))
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        service.events.unsubscribe(queue)
    return response


async def recordings(request: Any) -> Any:
    from aiohttp import web

    name = _name(request)
    listed = await asyncio.to_thread(lambda: files.listing(_service(request).recordings(name)))
    return web.json_response({"stream": name, "recordings": listed}, dumps=_dumps)


async def all_recordings(request: Any) -> Any:
    """Every stream's finished segments and clips, each with the URL that serves it (range requests)."""
    from aiohttp import web

    service = _service(request)

    def listed() -> dict:
        from urllib.parse import quote

        out = {}
        for name in service.names:
            items = files.listing(service.recordings(name))
            for item in items:
                item["url"] = f"/api/recordings/{quote(name, safe='')}/{quote(item['name'], safe='')}"
                item["kind"] = "clip" if item["name"].startswith("clip_") else "segment"
            out[name] = items
        return out
    return web.json_response({"recordings": await asyncio.to_thread(listed)}, dumps=_dumps)


async def recording(request: Any) -> Any:
    """One listed recording; aiohttp's FileResponse answers Range requests (206), so players seek."""
    from aiohttp import web

    service, name = _service(request), _name(request)
    wanted = request.match_info["file"]
    try:
        path = await asyncio.to_thread(files.find, service.recordings(name), wanted, service.recordings_root(name))
    except files.Refused as exc:
        return error(400, str(exc))
    if path is None:
        return error(404, f"stream {name!r} has no recording {wanted!r}")
    headers = {"Content-Disposition": f'attachment; filename="{path.name}"'} if "download" in request.query else {}
    return web.FileResponse(path, headers=headers)


async def read_json(request: Any) -> Any:
    """The request's JSON body, read within services.web.request_timeout_s: a client that sends its body
    slowly (or never) gets 408 and its connection back to the pool, not a handler waiting forever."""
    timeout = _service(request).options.request_timeout_s
    try:
        return await asyncio.wait_for(request.json(), timeout)
    except asyncio.TimeoutError:
        return error(408, f"the request body did not arrive within {timeout:g} s (services.web.request_timeout_s)")


async def offer(request: Any) -> Any:
    from aiohttp import web

    service, name = _service(request), _name(request)
    body = await read_json(request)  # first: a slow body is cut at the timeout whatever the answer
    if isinstance(body, web.StreamResponse):
        return body
    if service.peers is None:
        return error(409, "WebRTC preview is off (services.webrtc.enabled / patches.webrtc): use the MJPEG "
                     f"endpoint /api/streams/{name}/mjpeg")
    if not isinstance(body, dict):
        return error(400, "expected a JSON object {\"type\": \"offer\", \"sdp\": ...}")
    try:
        answer = await service.peers.offer(name, body.get("sdp"), body.get("type"), _viewer(body.get("viewer")))
    except BadOffer as exc:
        if service.webrtc is not None:
            service.webrtc.count(peers_refused=1)
        return error(400, str(exc))
    except LookupError:
        service.webrtc.count(peers_refused=1)
        return service.refusal()
    return web.json_response(answer)


async def hang_up(request: Any) -> Any:
    from aiohttp import web

    service = _service(request)
    closed = service.peers is not None and await service.peers.close(request.match_info["peer"])
    return web.json_response({"closed": bool(closed)}, status=200 if closed else 404, dumps=_dumps)


async def mjpeg(request: Any) -> Any:
    """multipart/x-mixed-replace JPEG frames at the preview rate (for clients without WebRTC)."""
    from aiohttp import web

    service, name = _service(request), _name(request)
    slot = service.take_slot(name, "mjpeg", _viewer(request.query.get("viewer")))
    if not slot:
        return service.refusal()
    hub = service.hub
    response = web.StreamResponse(headers={"Content-Type": "multipart/x-mixed-replace; boundary=frame",
                                           "Cache-Control": "no-store"})
    seq = 0
    try:
        await response.prepare(request)
        while not service.stopping:
            seq = await hub.wait_newer(name, seq, 1.0)
            _, data = await asyncio.to_thread(hub.jpeg, name)
            if data is not None:
                await response.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                     + str(len(data)).encode() + b"\r\n\r\n" + data + b"\r\n")
                service.counters["mjpeg_frames_sent"] += 1
            await asyncio.sleep(hub.interval)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        service.give_slot(name, slot)
    return response


async def summary(request: Any) -> Any:
    from aiohttp import web

    return web.json_response(await asyncio.to_thread(_service(request).summary), dumps=_dumps)


async def config(request: Any) -> Any:
    from aiohttp import web

    return web.json_response({"config": _service(request).config_items()}, dumps=_dumps)


def _viewer(value: Any) -> str | None:
    """A page's viewer id (ASCII letters, digits, '-', at most 64): its previews share one viewer slot."""
    text = value if isinstance(value, str) else ""
    return text if 0 < len(text) <= 64 and all(c.isascii() and (c.isalnum() or c == "-") for c in text) else None


def _dumps(value: Any) -> str:
    """Every API body through the one redaction policy (redaction.public_json): a stream's last_error or
    source quoting a camera URL never shows its password."""
    from ..redaction import public_json

    return public_json(value)
