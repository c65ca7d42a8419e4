"""Recording real RTSP cameras (GStreamer's RTSP server on loopback: H.264, a keyframe a second, a burst of
frames when a client connects): copied packets with the camera's timestamps; with draw: true, H.264
encoded at the times frames arrived, never at the rate of the burst."""

from __future__ import annotations

import pytest

from conftest import run_cli, summaries
from live_servers import RtspServer, gstreamer_rtsp_available
from media import codec_of, packets_of

pytestmark = pytest.mark.skipif(gstreamer_rtsp_available() is not None, reason=str(gstreamer_rtsp_available()))


@pytest.fixture
def cameras():
    started = []

    def start(n, size=(320, 240)):
        for _ in range(n):
            started.append(RtspServer(codec="h264", fps=10, size=size).start())
        return started
    yield start
    for server in started:
        server.stop()


def test_four_h264_cameras_are_recorded_by_copy_with_the_cameras_timing(tmp_path, cameras):
    servers = cameras(4)
    streams = [f"streams.cam{i}.source={s.url}" for i, s in enumerate(servers)]
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", *streams, "services=recording",
                     "services.recording.segment_s=2", "run.duration_s=20", f"hydra.run.dir={tmp_path}/run",
                     cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr
    summary = summaries(tmp_path / "run")[0]
    assert summary["status"] == "ok", summary["problems"]
    assert "recording failed" not in result.stderr
    for i in range(4):
        recording = summary["results"]["pipeline"]["streams"][f"cam{i}"]["sinks"]["recording"]
        assert recording["mode"] == "copy" and recording["reason"] is None
        files = sorted((tmp_path / "run" / "recordings" / f"cam{i}").glob("segment_*"))
        assert len(files) >= 2
        for f in files:
            packets = packets_of(f)
            assert codec_of(f) == ("h264", "yuv420p") and packets[0][1]  # starts on a keyframe
            steps = {b[0] - a[0] for a, b in zip(packets, packets[1:])}
            assert steps == {9000}  # the camera's own clock: 10 fps in 1/90000 s, burst or not
        full = [packets_of(f) for f in files[:-1]]
        assert all(len(p) % 10 == 0 for p in full)  # cut on keyframes (one a second)


def test_draw_true_encodes_at_the_rate_frames_arrive_not_the_burst(tmp_path, cameras):
    import av

    [server] = cameras(1)
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={server.url}",
                     "services=recording", "services.recording.draw=true", "services.recording.segment_s=60",
                     "run.duration_s=8", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    recording = summaries(tmp_path / "run")[0]["results"]["pipeline"]["streams"]["default"]["sinks"]["recording"]
    assert recording["mode"] == "encode" and recording["status"] == "stopped"
    [segment] = (tmp_path / "run" / "recordings" / "default").glob("segment_*")
    assert codec_of(segment) == ("h264", "yuv420p")
    with av.open(str(segment)) as container:
        stream = container.streams.video[0]
        times = [float(p.pts * p.time_base) for p in container.demux(stream) if p.size]
    seconds = max(times) - min(times)
    # The frames span the seconds they arrived in (several seconds), not a burst's fraction of one: a
    # rate fixed from the connect burst (hundreds of fps) would squeeze them into well under a second.
    assert seconds >= 3 and len(times) / seconds < 30
