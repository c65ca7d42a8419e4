"""Status, exit codes and /healthz tell the truth about live sources (real loopback MJPEG server, real
StreamManager, real web service): a camera that never opens fails its stream (the run degrades, or fails
with exit 6 when it was the only stream) and the text output names it and why; /healthz is 503 naming the
failing stream while a camera is down, 200 once it runs (`?any`: 200 while the service is up); the error
that cleared leaves the API when the stream recovers."""

import json
import time

import pytest

from conftest import run_cli, summaries
from live_servers import MjpegServer
from media import write_video

CLOSED = "http://127.0.0.1:9/never.mjpg"  # nothing listens on port 9 (discard)


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_camera_that_never_opens_fails_the_run_exit_6(tmp_path):
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={CLOSED}", "run.duration_s=2",
                   cwd=tmp_path)
    assert proc.returncode == 6, proc.stdout + proc.stderr
    assert "coral-run: failed" in proc.stdout and "coral-run: ok" not in proc.stdout
    assert "default: failed" in proc.stdout and "no frame in the whole run" in proc.stdout
    [summary] = summaries(tmp_path / "outputs")
    stream = summary["results"]["pipeline"]["streams"]["default"]
    assert summary["status"] == "failed" and stream["status"] == "failed" and stream["frames"] == 0
    assert "cannot open" in stream["last_error"]


def test_a_camera_that_never_opens_beside_a_working_stream_degrades_the_run(tmp_path):
    video = write_video(tmp_path / "v.mp4", frames=4)
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"streams.cam.source={CLOSED}",
                   f"streams.file.source={video}", "run.duration_s=2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "coral-run: degraded" in proc.stdout and "why: streams.cam: failed: no frame in the whole run" in proc.stdout
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "degraded"
    assert any(r.startswith("streams.cam: failed: no frame") for r in summary["status_reasons"])
    streams = summary["results"]["pipeline"]["streams"]
    assert streams["cam"]["status"] == "failed" and streams["file"]["status"] == "finished"
    assert summary["results"]["pipeline"]["totals"]["failed"] == ["cam"]


def _get(url, path):
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url.rstrip("/") + path, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_healthz_and_the_cleared_error_follow_a_camera_that_comes_up(runtime_context):
    pytest.importorskip("aiohttp")
    from coral_inference.streams.manager import StreamManager
    from web_service import serving

    server = MjpegServer(fps=25)  # down at start
    context = runtime_context("run.mode=pipeline", "backends=cpu", f"streams.cam.source={server.url}",
                              "streams.cam.reconnect.backoff_s=0.2", "streams.cam.reconnect.backoff_max_s=0.4")
    manager = StreamManager(context)
    try:
        with serving(manager) as s:
            assert wait_for(lambda: manager.status()["cam"]["status"] == "reconnecting")
            code, body = _get(s.url, "/healthz")
            assert code == 503 and body["ok"] is False and body["failing"]["cam"]["status"] == "reconnecting"
            assert "cannot open" in body["failing"]["cam"]["reason"]
            code, body = _get(s.url, "/healthz?any")
            assert code == 200 and body["service"] == "up" and body["ok"] is False
            status = _get(s.url, "/api/streams")[1]["streams"]["cam"]
            assert status["health"] == "degraded" and status["last_error"]
            server.start()
            assert wait_for(lambda: manager.status()["cam"]["frames"] >= 3), manager.status()
            code, body = _get(s.url, "/healthz")
            assert code == 200 and body == {"ok": True, "streams": {"cam": "running"}, "status": "ok"}
            status = _get(s.url, "/api/streams")[1]["streams"]["cam"]
            assert status["last_error"] is None and status["recovered_errors"] >= 1 and status["health"] == "ok"
    finally:
        server.stop()
