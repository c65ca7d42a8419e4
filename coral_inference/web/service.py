"""The web service of run.mode=serve: the stream manager behind an aiohttp app (page, JSON API,
WebRTC and MJPEG previews, results feed, /metrics). Runs on one asyncio loop; the manager's streams
run on their own threads and reach the service only through one subscriber that returns at once."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .events import EventsFeed
from .feed import ResultsFeed
from .guard import error, middlewares
from .metrics import Metrics
from .preview import PreviewHub


FINISHED_NORMALLY = ("end of source", "run.max_frames")  # a stream that finished so is healthy


def _why_not_running(s: dict[str, Any]) -> str:
    state = s.get("status")
    if state == "finished":
        return f"finished ({s.get('stopped_by')})"
    if state == "stopped":
        return f"stopped by {s.get('stopped_by') or 'a request'}"
    return {"starting": "starting: no frame yet", "paused": "paused by a request"}.get(state, str(state))


class _Refused(asyncio.Protocol):
    def connection_made(self, transport: Any) -> None:
        transport.abort()


class _Capped:
    """The HTTP server's protocol factory with a cap: beyond ``cap`` open connections a new one is closed
    as soon as it opens (counted in ``connections_refused``), so clients that hold connections open cannot
    use up the process's file descriptors. Everything else is the wrapped aiohttp server's."""

    def __init__(self, server: Any, cap: int, counters: dict[str, int]):
        self._server, self._cap, self._counters = server, cap, counters

    def __call__(self) -> Any:
        if len(self._server.connections) >= self._cap:
            self._counters["connections_refused"] += 1
            return _Refused()
        return self._server()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)


@dataclass
class Options:
    host: str = "127.0.0.1"
    port: int = 0
    token: str | None = None
    max_viewers: int = 4
    max_body_kb: int = 64
    request_timeout_s: float = 10.0  # headers, then the body, each within this (services.web)
    max_connections: int = 100  # open connections at once; one more is closed at once
    width: int = 480
    max_fps: float = 10.0
    webrtc: Any = None  # services.webrtc.WebRtcService (settings + counters); None: MJPEG only
    config_items: Callable[[], list] = list  # the run's redacted config with each value's source
    pools: Callable[[], dict] = dict  # backend -> per-worker counters
    recordings_root: Callable[[str], Path | None] = lambda name: None
    draw: Callable[[Any, dict], Any] | None = None


@dataclass
class Service:
    manager: Any
    options: Options
    url: str | None = None
    port: int | None = None
    stopping: bool = False
    counters: dict[str, int] = field(default_factory=lambda: {
        "requests": 0, "unauthorized": 0, "errors": 0, "refused": 0, "mjpeg_clients_served": 0,
        "mjpeg_frames_sent": 0, "connections_refused": 0})

    def __post_init__(self) -> None:
        from ..tasks.draw import draw  # boxes and labels, class masks, keypoint skeletons

        o = self.options
        self.names = list(self.manager.names)
        self.hub = PreviewHub(self.names, o.width, o.max_fps, o.draw or draw)
        self.feed = ResultsFeed(self.names)
        self.events = EventsFeed()
        pools = getattr(self.manager, "backend_pools", None) or o.pools  # every (backend, model) pair
        pairs = self.manager.stream_pairs() if hasattr(self.manager, "stream_pairs") else {}
        self.metrics = Metrics(self.manager.status, pools, self.web_counts, self.delivery, pairs)
        self.webrtc = o.webrtc
        self.peers = None
        self._runner = None
        self._unsubscribe: Callable[[], None] | None = None
        self._unsubscribe_events: Callable[[], None] | None = None
        self._started = time.monotonic()
        self._pages: dict[str, int] = {}  # viewer key -> previews open
        self._conn_ids = itertools.count(1)

    # lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> str:
        from aiohttp import web

        from .api import SERVICE, routes
        from .checks import is_loopback
        from .rtc import Peers

        o = self.options
        loop = asyncio.get_running_loop()
        self.hub.bind(loop)
        self.feed.bind(loop)
        self.events.bind(loop)
        if self.webrtc is not None:
            self.peers = Peers(self.hub, self.webrtc, self.webrtc.ice_servers,
                               lambda name, viewer=None: self.take_slot(name, "webrtc", viewer), self.give_slot)
        app = web.Application(client_max_size=o.max_body_kb * 1024,
                              middlewares=middlewares(o.token, is_loopback(o.host), self.counters))
        app[SERVICE] = self
        routes(app)
        # aiohttp's keep-alive timer runs from the moment a connection opens and closes it while no whole
        # request has arrived: with request_timeout_s it is the header timeout too (a client that trickles
        # its headers, or sends none, is closed); bodies are read within it (api.read_json).
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0, handle_signals=False,
                                     keepalive_timeout=o.request_timeout_s)
        await self._runner.setup()
        # at most max_connections open: the site's protocol factory is the runner's server (aiohttp 3.x)
        self._runner._server = _Capped(self._runner.server, o.max_connections, self.counters)
        site = web.TCPSite(self._runner, o.host, o.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        host = f"[{o.host}]" if ":" in o.host else o.host
        self.url = f"http://{host}:{self.port}/"
        self._unsubscribe = self.manager.subscribe(self._on_result)
        events = getattr(self.manager, "subscribe_events", None)
        self._unsubscribe_events = events(self.events.on_event) if events is not None else None
        return self.url

    async def stop(self) -> None:
        self.stopping = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._unsubscribe_events is not None:
            self._unsubscribe_events()
            self._unsubscribe_events = None
        if self.peers is not None:
            await self.peers.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _on_result(self, name: str, result: dict, frame: Any) -> None:
        """The manager's subscriber, on the stream's thread: nothing here waits."""
        self.metrics.on_result(name, result, frame)
        self.feed.on_result(name, result, frame)
        self.hub.on_result(name, result, frame)

    # previews --------------------------------------------------------------------------------------
    # A viewer is a page: its previews (one per stream it shows) carry the page's id (``viewer``), and
    # services.web.max_viewers counts distinct pages. A preview without an id is a viewer of its own.
    def take_slot(self, name: str, kind: str, viewer: str | None = None) -> str | None:
        """The viewer key the preview holds until give_slot, or None: every slot is taken (503)."""
        key = f"page:{viewer}" if viewer else f"conn:{next(self._conn_ids)}"
        if key not in self._pages and len(self._pages) >= self.options.max_viewers:
            self.counters["refused"] += 1
            return None
        self._pages[key] = self._pages.get(key, 0) + 1
        self.hub.watch(name, +1)
        if kind == "mjpeg":
            self.counters["mjpeg_clients_served"] += 1
        return key

    def give_slot(self, name: str, key: str | None = None) -> None:
        self.hub.watch(name, -1)
        if key in self._pages:
            self._pages[key] -= 1
            if self._pages[key] <= 0:
                del self._pages[key]

    def pages(self) -> int:
        """Viewers now: pages (or id-less previews) with a preview open."""
        return len(self._pages)

    def refusal(self) -> Any:
        response = error(503, f"too many viewers: services.web.max_viewers={self.options.max_viewers} pages are "
                         "watching; close one or raise services.web.max_viewers", max_viewers=self.options.max_viewers)
        response.headers["Retry-After"] = "5"
        return response

    # what the API shows ----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        status = self.manager.status()
        for name, s in status.items():
            s["viewers"] = self.hub.viewers(name)
        return status

    def health(self) -> dict[str, Any]:
        """/healthz: ok only when every enabled stream is running, or finished normally (its source ended,
        run.max_frames); the others are ``failing`` with why; degraded ones (running something less than
        asked) are listed but do not fail it, and so is a delivery service (services.mqtt, services.webhook)
        that cannot reach its broker or server (it queues meanwhile)."""
        status = self.manager.status()
        failing, degraded = {}, {}
        for name, s in status.items():
            state = s.get("status")
            if state == "running" or (state == "finished" and s.get("stopped_by") in FINISHED_NORMALLY):
                if s.get("health") == "degraded":
                    degraded[name] = "; ".join(s.get("reasons") or [])
                continue
            failing[name] = {"status": state, "reason": s.get("last_error") or _why_not_running(s)}
        context = getattr(self.manager, "context", None)
        run = getattr(context, "status", None)  # ok, or degraded (a stream's recording failed, a CPU fallback)
        run = run if isinstance(run, str) else "ok"
        services = {key: {"state": d.get("state"), "healthy": d.get("healthy", True), "pending": d.get("pending"),
                          "dropped": d.get("dropped"), "last_error": d.get("last_error")}
                    for key, d in self.delivery().items()}
        for key, d in services.items():  # a broker or server down: degraded (events queue), never failing
            if not d["healthy"]:
                degraded[f"services.{key}"] = f"{d['state']}: {d['last_error']}; {d['pending']} queued"
        if degraded and run == "ok":  # a stream on the CPU twin, a failing sink, a broker down: the run is degraded
            run = "degraded"
        return {"ok": not failing and not self.stopping, "streams": {n: s.get("status") for n, s in status.items()},
                "status": run, **({"failing": failing} if failing else {}),
                **({"degraded": degraded} if degraded else {}), **({"services": services} if services else {})}

    def recordings(self, name: str) -> list[Path]:
        return [Path(p) for p in self.manager.recordings(name)]

    def recordings_root(self, name: str) -> Path | None:
        return self.options.recordings_root(name)

    def config_items(self) -> list:
        return self.options.config_items()

    def info(self) -> dict[str, Any]:
        o = self.options
        webrtc = None
        if self.webrtc is not None:  # the browser needs the ICE servers (a TURN credential too) to connect
            webrtc = {"ice_servers": list(self.webrtc.ice_servers), "width": o.width, "max_fps": o.max_fps}
        geometry = getattr(self.manager, "geometry", None)  # zones and lines the page draws
        return {"streams": self.names, "webrtc": webrtc, "mjpeg": True, "max_viewers": o.max_viewers,
                "width": o.width, "max_fps": o.max_fps, "geometry": geometry() if geometry is not None else {}}

    def delivery(self) -> dict[str, dict[str, Any]]:
        """The delivery services (services.mqtt, services.webhook) of the streams, live."""
        services = getattr(self.manager, "services", None)
        return services() if services is not None else {}

    def web_counts(self) -> dict[str, Any]:
        rtc = self.webrtc.totals() if self.webrtc is not None else {}
        return {**self.counters, "viewers": self.pages(), "previews": self.hub.viewers(), "peers_served": rtc.get("peers_served", 0),
                "frames_sent": rtc.get("frames_sent", 0)}

    def totals(self) -> dict[str, Any]:
        """results.serve.web: what the service did (never the token)."""
        o = self.options
        return {"url": self.url, "host": o.host, "port": self.port, "access": "token" if o.token else "open",
                "uptime_s": round(time.monotonic() - self._started, 3), **self.counters,
                "sse": {"results": self.feed.results, "dropped": self.feed.dropped},
                "events": self.events.counts(),
                "preview": {"width": o.width, "max_fps": o.max_fps, "frames_kept": self.hub.frames_kept,
                            "frames_made": self.hub.frames_made},
                "webrtc": self.webrtc.totals() if self.webrtc is not None else None}

    def summary(self) -> dict[str, Any]:
        return {**self.manager.summary(), "web": self.totals()}
