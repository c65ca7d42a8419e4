"""run.mode=serve (registry kind "mode", name "serve"): the configured streams with the web service
until SIGTERM or Ctrl-C (or run.duration_s). Then the previews are closed, the streams stopped (their
recordings complete), and the totals returned for the summary's results.serve; the run exits 0, or 6 when every
stream failed (streams/run.py verdict: a stream that produced no frame in the whole run failed)."""

from __future__ import annotations

import asyncio
import errno
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import ConfigError


def require_extra() -> None:
    from .checks import EXTRA, missing_modules

    missing = missing_modules()
    if missing:
        raise ConfigError(f"run.mode=serve needs {', '.join(missing)}, which is not installed: {EXTRA}")


def options(context: Any) -> Any:
    from .service import Options

    cfg = context.config
    web, rtc = cfg.services.web, cfg.services.webrtc
    run_dir = Path(context.run_dir or Path.cwd())
    rec = Path(cfg.services.recording.path).expanduser()
    rec = rec if rec.is_absolute() else run_dir / rec
    service = context.services.get("webrtc") if context.patches_enabled.get("webrtc") else None
    return Options(host=web.host, port=web.port, token=web.token, max_viewers=web.max_viewers,
                   max_body_kb=web.max_body_kb, request_timeout_s=web.request_timeout_s,
                   max_connections=web.max_connections, width=rtc.width, max_fps=rtc.max_fps, webrtc=service,
                   config_items=lambda: config_items(cfg), pools=lambda: pools(context),
                   recordings_root=lambda name: rec / name)


def config_items(config: Any) -> list[dict[str, Any]]:
    """What `coral-runtime config explain` shows for every key: the value (secrets redacted) and
    the chain of sources that set it, the winner last."""
    from ..config.provenance import SCHEMA_LABEL, leaves
    from ..summary import redact

    data = redact(config.to_dict(), tuple(config.summary.secret_keys))
    items = []
    for key, value in leaves(data):
        chain = [{"layer": e.get("layer"), "source": e.get("source")} for e in (config.sources.get(key) or ())]
        items.append({"key": key, "value": value, "source": chain[-1]["source"] if chain else SCHEMA_LABEL,
                      "chain": chain})
    return items


def pools(context: Any) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for name, backend in list(context.backend_objects.items()):
        pool = getattr(backend, "pool", None)
        if pool is not None:
            out[name] = pool.health()
    return out


def run(context: Any) -> dict[str, Any]:
    require_extra()
    from ..streams.manager import StreamManager
    from .service import Service

    manager = StreamManager(context)
    service = Service(manager, options(context))
    started = time.perf_counter()
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    _stopped_by: list[str] = []
    try:
        stopped_by = asyncio.run(_serve(context, manager, service, _stopped_by))
    finally:
        from .. import shutdown

        shutdown.guard(previous=previous)  # a signal from here on only shortens the waits (shutdown.py)
        manager.stop(reason=_stopped_by[0] if _stopped_by else "stopped")  # idempotent
    elapsed = time.perf_counter() - started
    context.note("serve", f"served {service.url} for {elapsed:.1f}s, stopped by {stopped_by}")
    from ..streams.run import verdict

    result = {**manager.summary(), "web": service.totals(), "stopped_by": stopped_by,
              "duration_s": round(elapsed, 3)}
    verdict(context, result, "serve")
    return result


def _cannot_listen(config: Any, exc: OSError) -> ConfigError:
    from ..errors import Issues

    web = config.services.web
    key = "services.web.port" if exc.errno == errno.EADDRINUSE else "services.web.host"
    issues = Issues(config=config)
    issues.add(key, f"cannot listen on {web.host}:{web.port}: {exc.strerror or exc}",
               value=getattr(web, key.rsplit(".", 1)[1]),
               expected="a free port on an address of this machine (services.web.port=0 picks a free one)")
    return ConfigError("run.mode=serve: the web service cannot start", problems=issues.items)


async def _serve(context: Any, manager: Any, service: Any, reason: list[str]) -> str:
    """Serve until a signal or run.duration_s; ``reason`` gets what stopped it (the streams' stopped_by)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal(name: str) -> None:
        from .. import shutdown

        if stop.is_set():  # a second signal: the shutdown under way only gets shorter
            shutdown.hurry()
        reason.append(name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        loop.add_signal_handler(signal.SIGTERM, on_signal, "SIGTERM")
        loop.add_signal_handler(signal.SIGINT, on_signal, "SIGINT")
    try:
        try:
            url = await service.start()  # subscribed before the first frame
        except OSError as exc:
            raise _cannot_listen(context.config, exc) from None
        manager.start()
        # stderr: stdout stays the summary (run.output=json prints only JSON there)
        print(f"coral-run: serving {url} (stop with Ctrl-C or SIGTERM)", file=sys.stderr, flush=True)
        context.note("serve", f"serving {url}")
        duration = context.config.run.duration_s
        try:
            await asyncio.wait_for(stop.wait(), duration)
        except asyncio.TimeoutError:
            reason.append("run.duration_s")
    finally:
        from .. import shutdown

        if threading.current_thread() is threading.main_thread():
            # from here a signal only shortens the shutdown; taken from the loop first, so closing the
            # loop does not put Python's defaults back while the summary is still to be written
            loop.remove_signal_handler(signal.SIGTERM)
            loop.remove_signal_handler(signal.SIGINT)
        shutdown.guard()
        try:  # a slow peer or client is not waited for past the shutdown deadline
            await asyncio.wait_for(service.stop(), shutdown.remaining(None))  # peers closed, feeds ended
        except asyncio.TimeoutError:
            context.note("serve", "the web service did not stop within the shutdown deadline", level="warning")
        # streams stopped, recordings complete (bounded by the deadline)
        await asyncio.to_thread(manager.stop, reason=reason[0] if reason else "stopped")
    return reason[0] if reason else "stopped"
