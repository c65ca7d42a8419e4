"""End to end: `coral-run run.mode=serve` as a subprocess on a free loopback port with two streams
from generated videos, driven by a real headless browser (Debian's chromium through playwright):
every stream's video decodes WebRTC frames, the screenshot is not blank, stop and start work,
/metrics parses, recordings download, SIGTERM exits 0 with a complete summary; the token never
reaches a file of the run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import cli_env, console_script
from media import write_video

pytest.importorskip("aiohttp")
pytest.importorskip("aiortc")
pytest.importorskip("coral_inference.streams.manager")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
TOKEN = "e2e-t0ken-9f8e7d"
SHOTS = Path(os.environ.get("CORAL_TEST_SHOTS", "/tmp/coral-serve-shots"))  # screenshots, to look at

STATS_JS = """async () => { const out = {};
  for (const [name, pc] of Object.entries(window.coralPeers || {})) {
    const stats = await pc.getStats();
    stats.forEach(r => { if (r.type === 'inbound-rtp' && r.kind === 'video') out[name] = r.framesDecoded || 0; });
  } return out; }"""


def serve(tmp_path, *overrides, env=None):
    """Start coral-run run.mode=serve; returns (process, url) once it prints where it serves."""
    full_env = cli_env()
    full_env.update(env or {})
    proc = subprocess.Popen([console_script("coral-run"), "run.mode=serve", "services.web.port=0",
                             f"hydra.run.dir={tmp_path}/run", *overrides], cwd=tmp_path, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "coral-run: serving http://" in line:
            return proc, line.split("serving ", 1)[1].split()[0]
    proc.kill()
    out, err = proc.communicate(timeout=10)
    pytest.fail(f"coral-run serve did not start (exit {proc.returncode}):\n{''.join(lines)}{err}")


def stop(proc, sig=signal.SIGTERM):
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail("coral-run serve did not stop on SIGTERM")
    return proc.returncode, out, err


def api(url, path, method="GET", token=TOKEN):
    import urllib.request

    req = urllib.request.Request(url.rstrip("/") + path, method=method, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        body, kind = resp.read(), resp.headers.get_content_type()
        return json.loads(body) if kind == "application/json" else body.decode() if kind.startswith("text/") else body


def wait_until(predicate, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def test_serve_in_a_browser_end_to_end(tmp_path, browser):
    import cv2

    front = write_video(tmp_path / "front.mp4", 600, fps=30, size=(320, 240))
    back = write_video(tmp_path / "back.mp4", 600, fps=30, size=(320, 240))
    proc, url = serve(tmp_path, f"streams.front.source={front}", "streams.front.max_fps=15",
                      f"streams.back.source={back}", "streams.back.max_fps=15",
                      "services.recording.enabled=true", "services.recording.segment_s=1",
                      f"services.web.token={TOKEN}")  # literal on the command line: the hardest case for .hydra/
    try:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"{url}?token={TOKEN}")
        assert page.url == url  # the token left the address
        decoded = wait_until(lambda: (lambda d: d if len(d) == 2 and all(v > 5 for v in d.values()) else None)(
            page.evaluate(STATS_JS)), 60, "both streams' video to decode frames")
        assert set(decoded) == {"front", "back"}
        page.wait_for_function("document.querySelector('article[data-stream=\"back\"] .result')"
                               ".textContent.includes('\"stream\": \"back\"')", timeout=20000)  # the SSE feed
        page.wait_for_function("document.querySelectorAll('.status.running').length == 2", timeout=20000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        shot = SHOTS / "serve.png"
        page.screenshot(path=str(shot))
        image = cv2.imread(str(shot))
        assert image is not None and image.std() > 20
        video = page.locator('article[data-stream="front"] video').screenshot()
        import numpy as np

        pixels = cv2.imdecode(np.frombuffer(video, np.uint8), cv2.IMREAD_COLOR)
        assert pixels.std() > 10, "the video element shows a flat picture"

        # stop and start with the page's buttons
        page.click('article[data-stream="front"] button[data-action="stop"]')
        wait_until(lambda: api(url, "/api/streams")["streams"]["front"]["status"] == "stopped", 20, "front stopped")
        page.click('article[data-stream="front"] button[data-action="start"]')
        wait_until(lambda: api(url, "/api/streams")["streams"]["front"]["status"] == "running", 20, "front running")

        from prometheus_client.parser import text_string_to_metric_families

        families = {f.name: f for f in text_string_to_metric_families(api(url, "/metrics"))}
        frames = {s.labels["stream"]: s.value for s in families["coral_stream_frames"].samples}
        assert frames["front"] > 0 and frames["back"] > 0
        assert sum(s.value for s in families["coral_backend_requests"].samples) > 0
        assert any(s.value > 0 for s in families["coral_stream_latency_seconds"].samples
                   if s.name.endswith("_count"))
        assert families["coral_webrtc_frames_sent"].samples[0].value > 0

        listed = wait_until(lambda: api(url, "/api/streams/back/recordings")["recordings"], 20, "a finished recording")
        name = listed[0]["name"]
        data = api(url, f"/api/streams/back/recordings/{name}")
        path = tmp_path / "downloaded.mp4"
        path.write_bytes(data)
        assert cv2.VideoCapture(str(path)).read()[0], "the downloaded recording does not decode"
        config = {i["key"]: i for i in api(url, "/api/config")["config"]}
        assert config["services.web.token"]["value"] == "***" and config["run.mode"]["value"] == "serve"
        assert config["run.mode"]["source"] == "command line"
        page.close()  # the viewer leaves: its peers are cleaned up
        wait_until(lambda: all(s["viewers"] == 0 for s in api(url, "/api/streams")["streams"].values()), 45,
                   "the viewers to be cleaned up")
    finally:
        code, out, err = stop(proc)
    assert code == 0, err
    summary = json.loads((tmp_path / "run" / "runtime_summary.json").read_text())
    serve_results = summary["results"]["serve"]
    assert summary["status"] == "ok" and serve_results["stopped_by"] == "SIGTERM"
    assert set(serve_results["streams"]) == {"front", "back"}
    web = serve_results["web"]
    assert web["access"] == "token" and web["url"] == url and web["webrtc"]["peers_served"] >= 2
    assert web["webrtc"]["frames_sent"] > 0 and web["webrtc"]["peers_open"] == 0
    patch = next(p for p in summary["patches"] if p["name"] == "webrtc")
    assert f"{web['webrtc']['peers_served']} peers served" in patch["detail"]
    for path in (tmp_path / "run").rglob("*"):
        if path.is_file() and path.suffix in (".json", ".yaml", ".jsonl", ".log", ".txt"):
            assert TOKEN not in path.read_text(errors="replace"), path
    assert TOKEN not in out + err


def test_port_taken_is_exit_2_naming_the_key(tmp_path):
    import socket

    video = write_video(tmp_path / "v.mp4", 10)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([console_script("coral-run"), "run.mode=serve", f"run.source={video}",
                                 f"services.web.port={port}", f"hydra.run.dir={tmp_path}/run"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"services.web.port: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "from command line" in result.stderr


def test_ctrl_c_stops_cleanly_with_exit_0(tmp_path):
    video = write_video(tmp_path / "v.mp4", 300, fps=30)
    proc, url = serve(tmp_path, f"streams.cam.source={video}", "streams.cam.max_fps=20", "services.webrtc.enabled=false")
    wait_until(lambda: api(url, "/api/streams")["streams"]["cam"]["frames"] > 0, 30, "a frame")
    code, out, err = stop(proc, signal.SIGINT)
    assert code == 0, err
    summary = json.loads((tmp_path / "run" / "runtime_summary.json").read_text())
    assert summary["status"] == "ok" and summary["results"]["serve"]["stopped_by"] == "SIGINT"
    assert summary["results"]["serve"]["web"]["webrtc"] is None
    assert summary["results"]["serve"]["streams"]["cam"]["status"] in ("stopped", "finished")
