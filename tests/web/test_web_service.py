"""The web service in-process, over real HTTP on loopback, in front of a stand-in stream manager
(tests/helpers/fake_streams.py, the StreamManager API of coral_inference/streams/manager.py): API, control, feeds, /metrics,
previews and their limit, and the security rules (token, paths, bodies, origins)."""

from __future__ import annotations

import json
import os
import time

import pytest

pytest.importorskip("aiohttp")
pytest.importorskip("aiortc")
pytest.importorskip("prometheus_client")

from fake_streams import FakeManager  # noqa: E402
from web_service import get_json, request, serving  # noqa: E402

TOKEN = "s3cr3t-t0ken-value"


def wait_for(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_streams_status_and_control():
    manager = FakeManager(["front", "back"])
    with serving(manager) as s:
        assert wait_for(lambda: all(s.feed.latest.values()))  # a result from each stream
        status, body = get_json(s.url, "/api/streams")
        assert status == 200 and set(body["streams"]) == {"front", "back"}
        assert body["streams"]["front"]["status"] == "running" and body["streams"]["front"]["viewers"] == 0
        assert get_json(s.url, "/api/streams/front/pause", method="POST") == \
            (200, {"stream": "front", "action": "pause", "status": "paused"})
        status, body = get_json(s.url, "/api/streams/front/pause", method="POST")
        assert status == 409 and "cannot pause" in body["error"]
        assert get_json(s.url, "/api/streams/nope/stop", method="POST")[0] == 404
        assert get_json(s.url, "/api/streams/front/explode", method="POST")[0] == 404
        assert get_json(s.url, "/api/streams/front/stop", method="POST")[1]["status"] == "stopped"
        assert get_json(s.url, "/api/streams/front/start", method="POST")[1]["status"] == "running"
        assert manager.controls == [("front", "pause"), ("front", "stop"), ("front", "start")]
        assert get_json(s.url, "/healthz") == (200, {"ok": True, "streams": {"front": "running", "back": "running"},
                                                  "status": "ok"})
        latest = get_json(s.url, "/api/streams/back/latest")[1]
        assert latest["stream"] == "back" and latest["result"]["kind"] == "detection"
        assert "_mask" not in latest["result"]
        summary = get_json(s.url, "/api/summary")[1]
        assert summary["web"]["url"] == s.url and summary["web"]["access"] == "open" and "streams" in summary


def test_metrics_parse_with_prometheus_parser():
    from prometheus_client.parser import text_string_to_metric_families

    with serving(FakeManager(["a", "b"]), pools=lambda: {"cpu": [{"label": "cpu:0", "requests": 7, "failures": 0,
                                                                 "healthy": True}]}) as s:
        assert wait_for(lambda: s.feed.results > 10)
        status, headers, body = request(s.url, "/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    frames = {x.labels["stream"]: x.value for x in families["coral_stream_frames"].samples}
    assert set(frames) == {"a", "b"} and all(v > 0 for v in frames.values())
    assert families["coral_stream_latency_seconds"].type == "histogram"
    stages = {x.labels["stage"] for x in families["coral_stream_latency_seconds"].samples if "stage" in x.labels}
    assert stages == {"inference", "capture_to_result"}
    assert [(x.labels, x.value) for x in families["coral_backend_requests"].samples] == \
        [({"backend": "cpu", "worker": "cpu:0"}, 7.0)]
    running = [x for x in families["coral_stream_status"].samples if x.value == 1.0]
    assert {x.labels["status"] for x in running} == {"running"}
    assert families["coral_web_requests"].samples[0].value >= 1


def test_results_feed_is_server_sent_events():
    with serving(FakeManager(["a", "b"])) as s:
        import http.client
        from urllib.parse import urlsplit

        parts = urlsplit(s.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.request("GET", "/api/results?stream=b")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Type") == "text/event-stream"
        events = []
        while len(events) < 4:
            line = resp.readline().decode()
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
        conn.close()
    assert events[0] == {"streams": ["a", "b"]}
    assert {e["stream"] for e in events[1:]} == {"b"} and not any("_mask" in e for e in events)


def test_mjpeg_frames_and_the_viewer_limit():
    import http.client
    from urllib.parse import urlsplit

    with serving(FakeManager(["a"]), max_viewers=1, width=160) as s:
        parts = urlsplit(s.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.request("GET", "/api/streams/a/mjpeg")
        resp = conn.getresponse()
        assert resp.getheader("Content-Type").startswith("multipart/x-mixed-replace")
        assert resp.readline() == b"--frame\r\n"
        head = {}
        while (line := resp.readline()) != b"\r\n":
            key, _, value = line.decode().partition(":")
            head[key] = value.strip()
        jpeg = resp.read(int(head["Content-Length"]))
        import cv2
        import numpy as np

        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape[1] == 160 and image.std() > 5  # resized to services.webrtc.width, not blank
        status, body = get_json(s.url, "/api/streams/a/mjpeg")  # a second viewer: over max_viewers=1
        assert status == 503 and "services.web.max_viewers=1" in body["error"]
        conn.close()  # the viewer leaves: its slot is given back
        assert wait_for(lambda: s.hub.viewers() == 0)
        assert s.totals()["refused"] == 1 and s.totals()["mjpeg_clients_served"] == 1


def test_without_a_viewer_no_preview_is_drawn_and_frames_are_kept_at_preview_rate():
    with serving(FakeManager(["a"], fps=60), max_fps=5) as s:
        assert wait_for(lambda: s.feed.results > 60)
        results, kept = s.feed.results, s.hub.frames_kept
        assert s.hub.frames_made == 0 and 1 <= kept <= results / 4  # ~5 of every 60



def test_token_is_needed_everywhere_and_compared_whole():
    with serving(FakeManager(["a"]), token=TOKEN) as s:
        for path in ("/", "/api/streams", "/metrics", "/healthz", "/api/results", "/api/streams/a/mjpeg",
                     "/static/app.js"):
            status, headers, body = request(s.url, path)
            assert status == 401, path
            assert TOKEN not in body.decode()
        assert request(s.url, "/api/streams", headers={"Authorization": f"Bearer {TOKEN}x"})[0] == 401
        assert request(s.url, "/api/streams", headers={"Authorization": f"Bearer {TOKEN[:-1]}"})[0] == 401
        assert request(s.url, "/api/streams", headers={"Authorization": f"Bearer {TOKEN}"})[0] == 200
        # the page with ?token= once: a cookie, and the token leaves the address
        status, headers, _ = request(s.url, f"/?token={TOKEN}")
        assert status == 303 and headers["Location"] == "/"
        cookie = headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert request(s.url, "/api/streams", headers={"Cookie": cookie.split(";")[0]})[0] == 200
        assert s.totals()["access"] == "token" and TOKEN not in json.dumps(s.totals())


def test_recordings_only_listed_files_inside_the_folder(tmp_path):
    root = tmp_path / "recordings" / "a"
    root.mkdir(parents=True)
    clip = root / "a_0001.mp4"
    clip.write_bytes(b"\x00video" * 100)
    (tmp_path / "secret.txt").write_text("do not serve")
    link = root / "link.mp4"
    os.symlink(tmp_path / "secret.txt", link)
    with serving(FakeManager(["a"], recordings={"a": [clip, link]}), recordings_root=lambda name: root) as s:
        status, body = get_json(s.url, "/api/streams/a/recordings")
        assert status == 200 and [r["name"] for r in body["recordings"]] == ["a_0001.mp4"]  # no symlink
        status, headers, data = request(s.url, "/api/streams/a/recordings/a_0001.mp4?download=1")
        assert status == 200 and data == clip.read_bytes() and "attachment" in headers["Content-Disposition"]
        refused = ["/api/streams/a/recordings/..%2F..%2Fsecret.txt", "/api/streams/a/recordings/%2e%2e",
                   "/api/streams/a/recordings/..%252Fsecret.txt", "/api/streams/a/recordings/%2Fetc%2Fpasswd",
                   "/api/streams/a/recordings/..%5Csecret.txt", "/api/streams/a/recordings/../../../secret.txt",
                   "/api/streams/a/recordings/link.mp4", "/api/streams/a/recordings/secret.txt",
                   "/static/..%2F..%2Fweb%2Fservice.py", "/static/../service.py"]
        for path in refused:
            status, _, data = request(s.url, path)
            assert status in (400, 403, 404), (path, status)
            assert b"do not serve" not in data and b"class Service" not in data, path


def test_bad_bodies_are_400_and_the_service_goes_on():
    from coral_inference.services.webrtc import WebRtcService, WebRtcSettings

    rtc = WebRtcService(WebRtcSettings(()))
    with serving(FakeManager(["a"]), webrtc=rtc, max_body_kb=1) as s:
        post = "/api/streams/a/webrtc"
        status, body = get_json(s.url, post, method="POST", body=b"{not json",
                                headers={"Content-Type": "application/json"})
        assert status == 400 and "not JSON" in body["error"]
        assert get_json(s.url, post, method="POST", body=["offer"])[0] == 400
        for sdp in ("", "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n", "garbage m=video", None):
            status, body = get_json(s.url, post, method="POST", body={"type": "offer", "sdp": sdp})
            assert status == 400 and body["error"], sdp
        assert get_json(s.url, post, method="POST", body={"type": "answer", "sdp": "m=video"})[0] == 400
        status, _, _ = request(s.url, post, method="POST", body=b"{" + b" " * 4096 + b"}",
                               headers={"Content-Type": "application/json"})
        assert status == 413  # services.web.max_body_kb=1
        assert get_json(s.url, "/api/streams")[0] == 200  # still serving
        assert rtc.totals()["peers_open"] == 0 and s.hub.viewers() == 0


def test_cross_origin_changes_and_foreign_hosts_are_refused():
    with serving(FakeManager(["a"])) as s:
        status, body = get_json(s.url, "/api/streams/a/pause", method="POST", headers={"Origin": "http://evil.example"})
        assert status == 403
        assert get_json(s.url, "/api/streams/a/pause", method="POST",
                        headers={"Origin": s.url.rstrip("/")})[0] == 200
        status, _, _ = request(s.url, "/api/streams", headers={"Host": "evil.example"})  # DNS rebinding
        assert status == 421


def test_info_gives_the_browser_the_ice_servers_and_webrtc_off_means_mjpeg_only():
    from coral_inference.services.webrtc import WebRtcService, WebRtcSettings

    servers = ({"urls": ["turn:t.example.org:3478"], "username": "u", "credential": "pw"},)
    rtc = WebRtcService(WebRtcSettings(servers, 320, 5.0))
    with serving(FakeManager(["a"]), webrtc=rtc, width=320, max_fps=5.0) as s:
        info = get_json(s.url, "/api/info")[1]
        assert info["webrtc"] == {"ice_servers": [dict(servers[0])], "width": 320, "max_fps": 5.0}
        assert s.peers.ice_servers == servers  # the server's RTCConfiguration gets the same list
    with serving(FakeManager(["a"])) as s:
        assert get_json(s.url, "/api/info")[1]["webrtc"] is None
        status, body = get_json(s.url, "/api/streams/a/webrtc", method="POST", body={"type": "offer", "sdp": "m=video"})
        assert status == 409 and "/api/streams/a/mjpeg" in body["error"]


def test_webrtc_peer_from_an_aiortc_client_gets_frames_then_hangs_up():
    """A real aiortc peer as the viewer: offer/answer over the API, decoded preview frames at the
    preview size, the limit for a second peer, and DELETE giving the slot back."""
    import asyncio

    from aiortc import RTCPeerConnection, RTCSessionDescription

    from coral_inference.services.webrtc import WebRtcService, WebRtcSettings

    rtc = WebRtcService(WebRtcSettings((), 160, 10.0))

    async def viewer(url):
        pc = RTCPeerConnection()
        pc.addTransceiver("video", direction="recvonly")
        got = asyncio.get_running_loop().create_future()
        pc.on("track", lambda track: got.set_result(track))
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"type": "offer", "sdp": pc.localDescription.sdp}
        status, answer = await asyncio.to_thread(get_json, url, "/api/streams/a/webrtc", method="POST", body=offer)
        assert status == 200, answer
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        track = await asyncio.wait_for(got, 20)
        frames = [await asyncio.wait_for(track.recv(), 20) for _ in range(3)]
        second = await asyncio.to_thread(get_json, url, "/api/streams/a/webrtc", method="POST", body=offer)
        await asyncio.to_thread(get_json, url, f"/api/webrtc/{answer['id']}", method="DELETE")
        await pc.close()
        return frames, second

    with serving(FakeManager(["a"]), webrtc=rtc, width=160, max_viewers=1) as s:
        frames, second = asyncio.run(viewer(s.url))
        assert frames[-1].width == 160 and frames[-1].height == 120
        assert frames[-1].to_ndarray(format="bgr24").std() > 5  # a picture, not a blank frame
        assert second[0] == 503 and "max_viewers=1" in second[1]["error"]
        assert wait_for(lambda: s.hub.viewers() == 0)
        totals = rtc.totals()
    assert totals["peers_served"] == 1 and totals["frames_sent"] >= 3 and totals["peers_open"] == 0
    assert totals["peers_refused"] == 1


def test_metrics_count_the_frames_motion_gating_kept_from_the_device():
    from prometheus_client.parser import text_string_to_metric_families

    from coral_inference.web.metrics import Metrics

    metrics = Metrics(lambda: {"a": {"frames": 3, "gated": 17, "status": "running"}, "b": {"frames": 2, "gated": 0}},
                      lambda: {}, lambda: dict.fromkeys(("viewers", "requests", "peers_served", "frames_sent",
                                                         "mjpeg_frames_sent", "refused"), 0))
    families = {f.name: f for f in text_string_to_metric_families(metrics.text().decode())}
    gated = {x.labels["stream"]: x.value for x in families["coral_stream_motion_gated_frames"].samples
             if x.name.endswith("_total")}
    assert gated == {"a": 17.0, "b": 0.0}
