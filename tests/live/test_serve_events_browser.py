"""The live page in Debian's Chromium (playwright, executable_path) in front of the web service in-process
(tests/helpers/fake_streams.py): each stream's zones and lines drawn over the video, its tracked boxes with
their ids, and its last events, from /api/events and the SSE feed as they arrive (text, never markup)."""

from __future__ import annotations

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
