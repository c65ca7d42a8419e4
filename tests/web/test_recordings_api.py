"""/api/recordings (every stream's segments and clips, served with range requests) and a failed recording
as the API shows it: /api/streams names the reason, /healthz says the run is degraded."""

import json
import time

import pytest

from media import write_h264, write_video
from web_service import get_json, request, serving

pytest.importorskip("aiohttp")


def wait_for(predicate, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end and not predicate():
        time.sleep(0.1)
    return predicate()


def test_recordings_are_listed_and_served_in_ranges(tmp_path, runtime_context):
    from coral_inference.streams.manager import StreamManager

    video = write_h264(tmp_path / "cam.mp4", frames=40, fps=10, gop=10)
    context = runtime_context("run.mode=serve", "backends=cpu", f"streams.cam.source={video}", "services=recording",
                              "services.recording.segment_s=1")
    manager = StreamManager(context)
    with serving(manager) as service:
        assert wait_for(lambda: len(manager.recordings("cam")) >= 3)
        status, body = get_json(service.url, "/api/recordings")
        assert status == 200
        [first, *_] = body["recordings"]["cam"]
        assert first["kind"] == "segment" and first["url"] == "/api/recordings/cam/segment_00000.mp4"
        whole = (context.run_dir / "recordings" / "cam" / "segment_00000.mp4").read_bytes()
        status, headers, part = request(service.url, first["url"], headers={"Range": "bytes=10-29"})
        assert status == 206 and part == whole[10:30] and headers["Content-Range"] == f"bytes 10-29/{len(whole)}"
        status, _, everything = request(service.url, first["url"])
        assert status == 200 and everything == whole
        assert request(service.url, "/api/recordings/cam/manifest.json")[0] == 404  # only recordings are served
        assert request(service.url, "/api/recordings/cam/..%2Fresults.jsonl")[0] in (400, 404)
        state = get_json(service.url, "/api/streams")[1]["streams"]["cam"]["recording"]
        assert state["status"] == "recording" and state["mode"] == "copy"
        assert get_json(service.url, "/healthz")[1]["status"] == "ok"


def test_a_failed_recording_is_shown_with_its_reason_and_the_run_is_degraded(tmp_path, runtime_context):
    from coral_inference.streams.manager import StreamManager

    video = write_video(tmp_path / "clip.mp4", frames=20)
    context = runtime_context("run.mode=serve", "backends=cpu", f"streams.cam.source={video}", "services=recording")
    (context.run_dir / "recordings").mkdir(parents=True)
    (context.run_dir / "recordings" / "cam").symlink_to(tmp_path)  # a link where the folder goes: never followed
    manager = StreamManager(context)
    with serving(manager) as service:
        assert wait_for(lambda: manager.streams["cam"].sinks["recording"].status == "failed")
        state = get_json(service.url, "/api/streams")[1]["streams"]["cam"]["recording"]
        assert state["status"] == "failed" and "symbolic link" in state["reason"]
        health = get_json(service.url, "/healthz")[1]
        assert health["status"] == "degraded" and health["streams"]["cam"] in ("running", "finished")
        assert json.dumps(get_json(service.url, "/api/recordings")[1]) == '{"recordings": {"cam": []}}'
    assert context.status == "degraded" and list(context.problems) == ["streams.cam.recording"]
    assert not any(tmp_path.glob("segment_*"))
