"""Viewers that come and go, against a real `coral-run run.mode=serve` process with four live cameras
(loopback MJPEG servers) and Debian's Chromium: two tabs each show all four cameras (max_viewers counts
pages), and ten page sessions opened and closed one after another leave the serve process's memory (RSS
from /proc) within a small bound of what it was after the first."""

from __future__ import annotations

import os
import time

import pytest

from live_servers import MjpegServer
from test_serve_browser import ARGS, CHROMIUM, STATS_JS, api, serve, stop, wait_until

pytest.importorskip("aiortc")
SESSIONS = 10
BOUND_MB = 40  # the issue saw ~30 MB kept per session


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_two_tabs_show_four_cameras_and_memory_returns_after_ten_sessions(tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    cameras = [MjpegServer(fps=10, size=(640, 480)).start() for _ in range(4)]
    proc = None
    try:
        streams = [f"streams.cam{i}.source={c.url}" for i, c in enumerate(cameras)]
        proc, url = serve(tmp_path, "backends=cpu", *streams)
        assert api(url, "/api/streams")["max_viewers"] == 4
        samples = []
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context()
            tabs = [context.new_page() for _ in range(2)]
            for tab in tabs:
                tab.goto(url)
            for tab in tabs:  # both tabs, every camera: frames decoded over WebRTC
                wait_until(lambda: len([n for n, f in tab.evaluate(STATS_JS).items() if f > 0]) == 4, 90,
                           "four decoding videos in each tab")
            assert api(url, "/api/streams")["viewers"] == 2
            for tab in tabs:
                tab.close()
            wait_until(lambda: api(url, "/api/streams")["viewers"] == 0, 60, "the tabs' previews closed")
            for session in range(SESSIONS):
                page = context.new_page()
                page.goto(url)
                wait_until(lambda: len([n for n, f in page.evaluate(STATS_JS).items() if f > 10]) == 4, 90,
                           "four decoding videos")
                page.close()
                wait_until(lambda: api(url, "/api/streams")["viewers"] == 0, 60, "the page's previews closed")
                time.sleep(1.0)
                samples.append(rss_mb(proc.pid))
            browser.close()
        growth = samples[-1] - samples[0]
        print(f"RSS after each session (MB): {[round(s, 1) for s in samples]}; growth {growth:.1f} MB")
        assert growth <= BOUND_MB, samples
        code, _, err = stop(proc)
        proc = None
        assert code == 0, err
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        for camera in cameras:
            camera.stop()
