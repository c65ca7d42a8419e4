"""Real concurrent clients against a real `coral-run run.mode=serve` (two streams from a video file): threads
race start / stop / pause / resume on the same streams, then SIGTERM. Control is serialized per stream
(streams/manager.py: one control at a time, a start waits for the previous run's threads), so the capture
and decoder objects are never used by two threads: every answer is 200 or 409 with a JSON reason, and the
process exits 0 with a complete summary (before the fix: SIGABRT inside libavcodec, no summary, 8 of 8).
CORAL_RACE_RUNS=20 repeats it (the default keeps the suite short)."""

from __future__ import annotations

import json
import os
import random
import threading
import time
import urllib.error
import urllib.request

import pytest

from media import write_video
from test_serve_browser import serve, stop

pytest.importorskip("aiohttp")
ACTIONS = ("start", "stop", "pause", "resume")


def _race(url: str, names: list[str], seconds: float, threads: int = 8) -> dict:
    codes: dict = {}
    bodies: list = []
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def client(seed: int) -> None:
        rnd = random.Random(seed)
        while time.monotonic() < end:
            name, action = rnd.choice(names), rnd.choice(ACTIONS)
            req = urllib.request.Request(f"{url}api/streams/{name}/{action}", method="POST")
            try:
                with urllib.request.urlopen(req, timeout=20) as resp:
                    code, body = resp.status, resp.read()
            except urllib.error.HTTPError as exc:
                code, body = exc.code, exc.read()
            with lock:
                codes[code] = codes.get(code, 0) + 1
                if code != 200:
                    bodies.append(json.loads(body))

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return {"codes": codes, "bodies": bodies}


@pytest.mark.parametrize("run", range(int(os.environ.get("CORAL_RACE_RUNS", "2"))))
def test_racing_control_requests_then_sigterm(tmp_path, run):
    video = write_video(tmp_path / "v.mp4", 3000, fps=30, size=(320, 240))
    proc, url = serve(tmp_path, f"streams.a.source={video}", f"streams.b.source={video}", "services.webrtc.enabled=false")
    try:
        seen = _race(url, ["a", "b"], seconds=4.0)
    finally:
        code, out, err = stop(proc)
    assert code == 0, err[-2000:]
    assert set(seen["codes"]) <= {200, 409}, seen["codes"]
    assert seen["codes"].get(200, 0) > 10
    assert all(set(b) >= {"error", "status"} and b["status"] == 409 for b in seen["bodies"])
    summary = json.loads((tmp_path / "run" / "runtime_summary.json").read_text())
    assert summary["status"] == "ok" and summary["results"]["serve"]["stopped_by"] == "SIGTERM"
    streams = summary["results"]["serve"]["streams"]
    assert set(streams) == {"a", "b"}
    assert all(s["status"] in ("stopped", "finished") for s in streams.values()), streams
    assert "Traceback" not in err
