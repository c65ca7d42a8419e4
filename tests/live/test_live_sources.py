"""Live sources with real servers on 127.0.0.1: a loopback HTTP MJPEG server and GStreamer's RTSP server
(its own process, the system python3-gi; skipped when absent). An outage is the server stopped and started
again: the stream reconnects (counted) and the run goes on; a camera that is down at start is `reconnecting`, not an error."""

import time

import pytest

from live_servers import MjpegServer, RtspServer, gstreamer_rtsp_available


def manager_for(runtime_context, *overrides):
    from coral_inference.streams.manager import StreamManager

    context = runtime_context("run.mode=pipeline", "backends=cpu", *overrides)
    return StreamManager(context)


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_mjpeg_outage_reconnects_and_the_run_goes_on(runtime_context):
    server = MjpegServer(fps=25).start()
    manager = manager_for(runtime_context, f"streams.cam.source={server.url}", "streams.cam.reconnect.backoff_s=0.2",
                          "streams.cam.reconnect.backoff_max_s=0.5")
    try:
        manager.start()
        assert wait_for(lambda: manager.status()["cam"]["frames"] >= 10), manager.status()
        assert manager.status()["cam"]["status"] == "running"
        server.stop()
        assert wait_for(lambda: manager.status()["cam"]["status"] == "reconnecting"), manager.status()
        before = manager.status()["cam"]["frames"]
        time.sleep(1.0)
        server.start()
        assert wait_for(lambda: manager.status()["cam"]["frames"] >= before + 10), manager.status()
        status = manager.status()["cam"]
        assert status["status"] == "running" and status["reconnects"] >= 1 and status["reconnect_attempts"] >= 1
        assert status["live"] is True and status["source_kind"] == "url"
    finally:
        manager.stop()
        server.stop()
    assert manager.status()["cam"]["status"] == "stopped"


def test_a_camera_down_at_start_is_reconnecting_then_runs(runtime_context):
    server = MjpegServer(fps=25)  # not started yet
    manager = manager_for(runtime_context, f"streams.cam.source={server.url}", "streams.cam.reconnect.backoff_s=0.2",
                          "streams.cam.reconnect.backoff_max_s=0.4")
    try:
        manager.start()
        assert wait_for(lambda: manager.status()["cam"]["status"] == "reconnecting")
        assert manager.status()["cam"]["frames"] == 0 and "cannot open" in manager.status()["cam"]["last_error"]
        server.start()
        assert wait_for(lambda: manager.status()["cam"]["frames"] >= 5), manager.status()
    finally:
        manager.stop()
        server.stop()


def test_reconnect_attempts_used_up_fail_the_stream_only(runtime_context, tmp_path):
    from media import write_video

    video = write_video(tmp_path / "clip.mp4", frames=5)
    manager = manager_for(runtime_context, "streams.cam.source=http://127.0.0.1:9/none.mjpg",
                          "streams.cam.reconnect.max_attempts=2", "streams.cam.reconnect.backoff_s=0.05",
                          f"streams.file.source={video}")
    manager.start()
    assert manager.wait(timeout=30)
    manager.stop()
    status = manager.status()
    assert status["cam"]["status"] == "failed" and "2 reconnect attempt(s) failed" in status["cam"]["last_error"]
    assert status["file"]["status"] == "finished" and status["file"]["frames"] == 5


def test_a_live_source_faster_than_inference_keeps_only_the_newest_frame(runtime_context):
    """The source sends 60 frames/s, the stream takes 10: the others are dropped (counted), and a result is
    never older than about one frame interval plus inference."""
    server = MjpegServer(fps=60).start()
    manager = manager_for(runtime_context, f"streams.cam.source={server.url}", "streams.cam.max_fps=10")
    try:
        manager.start()
        assert wait_for(lambda: manager.status()["cam"]["frames"] >= 12), manager.status()
    finally:
        manager.stop()
        server.stop()
    status = manager.status()["cam"]
    assert status["dropped"] > status["frames"]  # most frames were replaced by a newer one
    assert status["capture_to_result_ms"]["p95"] < 250


@pytest.mark.skipif(gstreamer_rtsp_available() is not None, reason=str(gstreamer_rtsp_available()))
def test_rtsp_stream_from_gstreamer_survives_a_server_restart(runtime_context):
    server = RtspServer().start()
    manager = manager_for(runtime_context, f"streams.cam.source={server.url}", "streams.cam.reconnect.backoff_s=0.2",
                          "streams.cam.reconnect.backoff_max_s=0.5", "streams.cam.max_fps=15")
    try:
        manager.start()
        assert wait_for(lambda: manager.status()["cam"]["frames"] >= 5, timeout=30), manager.status()
        server.stop()
        assert wait_for(lambda: manager.status()["cam"]["status"] == "reconnecting", timeout=15), manager.status()
        before = manager.status()["cam"]["frames"]
        server = RtspServer(port=server.port).start()
        assert wait_for(lambda: manager.status()["cam"]["frames"] >= before + 5, timeout=30), manager.status()
        assert manager.status()["cam"]["reconnects"] >= 1
    finally:
        manager.stop()
        server.stop()
