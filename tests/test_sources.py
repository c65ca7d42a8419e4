"""Live sources: a stream URL served over real HTTP (OpenCV's FFmpeg backend reads it). With the
camera patch a finished stream is reconnected (backoff), without it the run ends with the stream."""

import functools
import http.server
import threading

import pytest

from conftest import run_cli, summaries
from media import write_video


@pytest.fixture
def stream_url(tmp_path):
    write_video(tmp_path / "clip.mp4", frames=6)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/clip.mp4"
    server.shutdown()


@pytest.mark.parametrize("camera,frames,reconnects", [("true", 15, 2), ("false", 6, 0)])
def test_stream_url_reconnects_only_with_the_camera_patch(tmp_path, stream_url, camera, frames, reconnects):
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={stream_url}",
                     "run.max_frames=15", f"patches.camera={camera}", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    totals = summaries(tmp_path / "run")[0]["results"]["pipeline"]
    assert (totals["kind"], totals["frames"], totals["reconnects"]) == ("classification", frames, reconnects)
    assert totals["dropped_frames"] == max(reconnects, 1)  # each end of the stream is a failed read
    assert totals["capture_buffer"] == (1 if camera == "true" else None)


def test_unopenable_stream_is_a_config_error(tmp_path, stream_url):
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={stream_url}.missing",
                     f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "run.source: OpenCV cannot open" in result.stderr


def test_a_camera_that_cannot_be_opened_says_what_to_check(tmp_path):
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", "run.source=9", f"hydra.run.dir={tmp_path}/run",
                     cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "run.source: OpenCV cannot open '9' as a camera" in result.stderr
    assert "/dev/video9" in result.stderr and "--device" in result.stderr
