"""Live sources open in parallel, each within its own timeout (streams/sources.py, streams/urlsource.py): four
streams on GStreamer's real RTSP server (an RTSP open takes about a second here) all open at once, and a camera
that never answers does not hold up the others. No timings are asserted, only the order of events: every
camera's connection reached the server (a recording relay in front of it) before any stream's open ended,
which a serialized open (OpenCV's FFmpeg backend holds one lock per process) cannot do."""

import socket
import threading

import pytest

from live_servers import MjpegServer, RtspServer, TcpProxy, gstreamer_rtsp_available

from test_live_sources import manager_for, wait_for


def opens(manager):
    return {name: (s.source.open_started, s.source.open_ended) for name, s in manager.streams.items()}


def assert_overlap(times, connected):
    """Every camera connected to the server before any open ended: none waited for another."""
    assert all(start is not None and end is not None for start, end in times.values()), times
    assert len(connected) == len(times), connected
    first_end = min(end for _, end in times.values())
    assert max(connected) < first_end, (times, connected)


@pytest.mark.skipif(gstreamer_rtsp_available() is not None, reason=str(gstreamer_rtsp_available()))
def test_four_rtsp_cameras_open_at_once(runtime_context):
    server = RtspServer().start()
    relay = TcpProxy(server.port)
    url = f"rtsp://127.0.0.1:{relay.port}/test"
    names = ["a", "b", "c", "d"]
    manager = manager_for(runtime_context, *[f"streams.{n}.source={url}" for n in names],
                          *[f"streams.{n}.max_fps=5" for n in names],
                          # a slow machine (CI) needs more than the default 3 s for the server's first frames:
                          # what is tested is the order of events, never a timeout
                          *[f"streams.{n}.open_timeout_s=30" for n in names])
    try:
        manager.start()
        assert wait_for(lambda: all(s["frames"] >= 1 for s in manager.status().values()), timeout=60), \
            (manager.status(), server.state(), relay.refused)
        times = opens(manager)
    finally:
        manager.stop()
        relay.close()
        server.stop()
    assert_overlap(times, relay.accepted)
    assert all(s["reconnect_attempts"] == 0 for s in manager.status().values())


class BlackHole:
    """A TCP port that accepts connections and never answers (a camera that hangs)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_a_hanging_camera_times_out_on_its_own_and_the_others_do_not_wait(runtime_context):
    hole = BlackHole()
    server = MjpegServer(fps=25).start()
    manager = manager_for(runtime_context, f"streams.hang.source=rtsp://127.0.0.1:{hole.port}/x",
                          "streams.hang.open_timeout_s=2", "streams.hang.reconnect.backoff_s=5",
                          f"streams.cam1.source={server.url}", f"streams.cam2.source={server.url}")
    try:
        manager.start()
        assert wait_for(lambda: manager.status()["hang"]["status"] == "reconnecting", timeout=30), manager.status()
        assert wait_for(lambda: min(manager.status()[n]["frames"] for n in ("cam1", "cam2")) >= 1), manager.status()
        first_attempt = opens(manager)["hang"]
        cams = {n: t for n, t in opens(manager).items() if n != "hang"}
        status = manager.status()
    finally:
        manager.stop()
        server.stop()
        hole.close()
    # the cameras opened while the hanging one was still trying: they did not queue behind it
    assert all(end < first_attempt[1] for _, end in cams.values()), (first_attempt, cams)
    assert "cannot open" in status["hang"]["last_error"] and "2 s" in status["hang"]["last_error"]
