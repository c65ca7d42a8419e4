"""The live page in Debian's Chromium (playwright, executable_path) in front of the web service in-process
(tests/helpers/fake_streams.py): each stream's zones and lines drawn over the video, its tracked boxes with
their ids, and its last events, from /api/events and the SSE feed as they arrive (text, never markup)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("aiohttp")
pytest.importorskip("prometheus_client")

from fake_streams import FakeManager  # noqa: E402
from web_service import serving  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
GEOMETRY = {"door": {"zones": {"porch": {"polygon": [[0.5, 0.2], [1.0, 0.2], [1.0, 1.0], [0.5, 1.0]]}},
                     "lines": {"gate": {"points": [[0.3, 0.0], [0.3, 1.0]], "directions": ["in", "out"]}}}}


def event(i, kind, **extra):
    return {"type": kind, "id": f"door-{i}", "stream": "door", "track_id": 7, "label": "thing", "score": 0.9,
            "box": [0.25, 0.25, 0.5, 0.5], "zones": [], "start_time": "2026-12-02T17:40:00.000+00:00",
            "time": f"2026-12-02T17:40:{i:02d}.000+00:00", "snapshot": None, **extra}


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def test_page_draws_zones_lines_tracked_boxes_and_the_last_events(browser):
    manager = FakeManager(["door", "yard"], fps=10, geometry=GEOMETRY, track_id=7)
    with serving(manager) as s:
        manager.emit(event(1, "start"))  # before the page: it comes from /api/events
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.goto(s.url)
        door = 'article[data-stream="door"]'
        page.wait_for_selector(f'{door} .overlay polygon.zone[data-zone="porch"]', state="attached", timeout=20000)
        points = page.get_attribute(f'{door} polygon.zone', "points")
        assert points == "0.5,0.2 1,0.2 1,1 0.5,1"
        assert page.get_attribute(f'{door} line.line[data-line="gate"]', "x1") == "0.3"
        assert page.locator('article[data-stream="yard"] .overlay polygon').count() == 0
        page.wait_for_selector(f'{door} .overlay rect.track[data-track="7"]', state="attached", timeout=20000)
        assert page.locator(f'{door} .overlay text.track-id').first.text_content() == "#7 thing"
        page.wait_for_selector(f'{door} ol.events li[data-type="start"]', timeout=20000)

        for _ in range(400):  # the page's SSE client subscribes shortly after load (events before it: /api/events)
            if s.events.clients >= 1:
                break
            page.wait_for_timeout(50)
        assert s.events.clients >= 1, "the page did not open the events feed"
        manager.emit(event(2, "enter", zone="porch", zones=["porch"]))
        manager.emit(event(3, "cross", line="gate", direction="in"))
        manager.emit(event(4, "update", label="<img src=x onerror=alert(1)>"))  # text, never markup
        page.wait_for_selector(f'{door} ol.events li[data-type="update"]', timeout=20000)
        items = page.locator(f'{door} ol.events li').all_text_contents()
        assert items[0].startswith("update <img src=x onerror=alert(1)> #7")
        assert items[1].startswith("cross thing #7 gate in") and items[2].startswith("enter thing #7 porch")
        assert items[3].startswith("start thing #7")
        assert page.locator(f'{door} ol.events img').count() == 0
        assert page.locator('article[data-stream="yard"] ol.events li').all_text_contents() == ["none yet"]
        for i in range(5, 20):
            manager.emit(event(i, "update"))
        page.wait_for_function(f"document.querySelector('{door} ol.events li').textContent.includes('17:40:19')",
                               timeout=20000)
        assert page.locator(f'{door} ol.events li').count() == 8
        page.close()


def test_coral_run_serve_shows_a_real_tracks_zone_line_and_events(tmp_path, browser):
    """MoveNet on squat.bmp walking over a canvas (a real model, real frames) through coral-run serve."""
    import os
    import signal
    import subprocess
    import time
    import urllib.request

    from conftest import cli_env, coral_file, console_script
    from test_delivery_events import walking_video

    model, image = coral_file("movenet_single_pose_lightning_ptq.tflite"), coral_file("squat.bmp")
    video = walking_video(tmp_path / "walk.mp4", image, frames=60)
    env = cli_env()
    proc = subprocess.Popen([console_script("coral-run"), "run.mode=serve", "services.web.port=0", "backends=cpu",
                             f"model.path={model}", f"streams.door.source={video}", "streams.door.max_fps=4",
                             "streams.door.tracker.kind=iou",
                             "streams.door.zones.hall.polygon=[[0.3, 0], [0.7, 0], [0.7, 1], [0.3, 1]]",
                             "streams.door.lines.gate.points=[[0.5, 0], [0.5, 1]]", f"hydra.run.dir={tmp_path}/run"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        for _ in range(400):
            line = proc.stderr.readline()
            if "coral-run: serving http://" in line:
                url = line.split("serving ", 1)[1].split()[0]
                break
            if not line and proc.poll() is not None:
                break
        assert url, f"coral-run serve did not start: {proc.stderr.read() if proc.poll() is not None else ''}"
        page = browser.new_page(viewport={"width": 1000, "height": 1000})
        page.goto(url)
        door = 'article[data-stream="door"]'
        page.wait_for_selector(f'{door} polygon.zone[data-zone="hall"]', state="attached", timeout=30000)
        assert page.get_attribute(f'{door} polygon.zone', "points") == "0.3,0 0.7,0 0.7,1 0.3,1"
        assert page.get_attribute(f'{door} line.line[data-line="gate"]', "x1") == "0.5"
        page.wait_for_selector(f'{door} rect.track[data-track="1"]', state="attached", timeout=60000)
        assert page.locator(f'{door} text.track-id').first.text_content() == "#1 person"
        page.wait_for_selector(f'{door} ol.events li[data-type="cross"]', timeout=60000)
        shown = page.locator(f'{door} ol.events li').all_text_contents()
        assert any(t.startswith("cross person #1 gate out") for t in shown)
        assert any(t.startswith("enter person #1 hall") for t in shown)
        assert any(t.startswith("start person #1") for t in shown)  # before the feed opened: from /api/events
        shots = Path(os.environ.get("CORAL_TEST_SHOTS", "/tmp/coral-serve-shots"))  # to look at
        shots.mkdir(parents=True, exist_ok=True)
        page.locator(door).screenshot(path=str(shots / "serve-events.png"))
        with urllib.request.urlopen(url + "api/events?stream=door&type=start,cross", timeout=10) as r:
            found = json.loads(r.read())["events"]
        assert [e["type"] for e in found] == ["start", "cross"] and found[1]["line"] == "gate"
        page.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
