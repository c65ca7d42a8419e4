"""Recordings a browser plays: a real H.264 RTSP camera (GStreamer, loopback) recorded by packet copy, an
event published on an EventHub with the recorder's ``clip`` attached, both served by the web service
(/api/recordings, range requests) and played by Debian's Chromium (playwright): videoWidth > 0,
currentTime advances, seeking lands."""

from __future__ import annotations

import time

import pytest

from live_servers import RtspServer, gstreamer_rtsp_available
from media import packets_of
from web_service import request, serving

pytest.importorskip("aiohttp")
pytestmark = pytest.mark.skipif(gstreamer_rtsp_available() is not None, reason=str(gstreamer_rtsp_available()))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"]

PLAY_JS = """async (url) => {
  const v = document.createElement('video'); v.muted = true; v.src = url; document.body.appendChild(v);
  await new Promise((ok, bad) => { v.onloadedmetadata = ok; v.onerror = () => bad(v.error && v.error.message); });
  await v.play(); const t0 = v.currentTime;
  await new Promise(ok => setTimeout(ok, 1200));
  const played = v.currentTime - t0; v.pause();
  v.currentTime = v.duration / 2; await new Promise(ok => { v.onseeked = ok; setTimeout(ok, 5000); });
  return {width: v.videoWidth, height: v.videoHeight, played, duration: v.duration, at: v.currentTime}; }"""


def wait_for(predicate, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def test_chromium_plays_a_copied_segment_and_an_event_clip(tmp_path, runtime_context):
    if not __import__("os").path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    from coral_inference.streams.events.hub import EventHub
    from coral_inference.streams.manager import StreamManager

    camera = RtspServer(codec="h264", fps=10, size=(320, 240)).start()
    try:
        context = runtime_context("run.mode=serve", "backends=cpu", f"streams.cam.source={camera.url}",
                                  "services=recording", "services.recording.segment_s=2",
                                  "services.recording.events.enabled=true", "services.recording.events.pre_s=1",
                                  "services.recording.events.post_s=1")
        manager = StreamManager(context)
        sink = manager.streams["cam"].sinks["recording"]
        hub = EventHub("cam", live=True)
        hub.attach("clip", sink.clip)  # what stream.events does once events are wired into streams
        seen = []
        hub.subscribe(seen.append)
        with serving(manager) as service:
            assert wait_for(lambda: sink.mode == "copy" and sink.clips._template is not None), sink.state()
            time.sleep(1.5)  # more than pre_s of video in the ring
            hub.publish({"type": "new", "stream": "cam", "label": "person"})
            assert wait_for(lambda: seen and seen[0]["clip"])
            clip = seen[0]["clip"]
            assert clip.startswith("recordings/cam/clip_") and clip.endswith(".mp4")
            assert wait_for(lambda: len([p for p in manager.recordings("cam") if p.name.startswith("segment_")]) >= 1
                            and any(p.name == clip.rsplit("/", 1)[1] for p in manager.recordings("cam")))
            status, _, body = request(service.url, "/api/recordings")
            import json

            listed = json.loads(body)["recordings"]["cam"]
            segment = next(i for i in listed if i["kind"] == "segment")
            clip_item = next(i for i in listed if i["kind"] == "clip")
            # range requests: a player asks for parts of the file
            status, headers, part = request(service.url, segment["url"], headers={"Range": "bytes=100-199"})
            assert status == 206 and len(part) == 100 and headers["Content-Range"].endswith(f"/{segment['bytes']}")
            assert headers["Content-Type"] == "video/mp4"
            with playwright.sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page()
                page.goto(service.url)
                for item in (segment, clip_item):
                    got = page.evaluate(PLAY_JS, item["url"])
                    assert got["width"] == 320 and got["height"] == 240, got
                    assert got["played"] > 0, got  # currentTime advanced
                    assert abs(got["at"] - got["duration"] / 2) < 0.6, got  # seeking landed
                browser.close()
            hub.close()
        frames = packets_of(context.run_dir / clip)
        assert frames[0][1] and 15 <= len(frames) <= 35  # from the keyframe before pre_s to post_s after
        assert sink.state()["clips"]["written"] == 1
    finally:
        camera.stop()
