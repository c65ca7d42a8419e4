"""A stream running the CPU twin of an Edge TPU model (no Edge TPU on this machine: an empty device tree) is
`degraded` with the reason in the live service: /api/streams (health, reasons), /healthz (200, listed under
`degraded`, the run's status `degraded`) and /api/summary; the stream beside it on the CPU model it asked for
stays `ok`. Real models, real StreamManager, real HTTP."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("aiohttp")

from conftest import coral_file  # noqa: E402
from media import write_video  # noqa: E402
from web_service import get_json, serving  # noqa: E402


def test_the_cpu_twin_shows_degraded_in_api_streams_healthz_and_summary(tmp_path, runtime_context):
    from coral_inference.streams.manager import StreamManager

    video = write_video(tmp_path / "clip.mp4", frames=300)
    context = runtime_context(
        "run.mode=serve", "backends=auto", f"platform.device_root={tmp_path}",
        f"models.x.path={coral_file('mobilenet_v1_0.25_128_quant_edgetpu.tflite')}",
        f"models.x.cpu_path={coral_file('mobilenet_v1_0.25_128_quant.tflite')}",
        f"streams.s.source={video}", "streams.s.model=x", "streams.s.max_fps=10",
        f"streams.plain.source={video}", "streams.plain.max_fps=10")
    manager = StreamManager(context)
    with serving(manager) as s:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(st["frames"] >= 2 for st in manager.status().values()):
            time.sleep(0.05)
        streams = get_json(s.url, "/api/streams")[1]["streams"]
        code, health = get_json(s.url, "/healthz")
        summary = get_json(s.url, "/api/summary")[1]
    assert streams["s"]["status"] == "running" and streams["s"]["health"] == "degraded", streams["s"]
    assert any("models.x.cpu_path" in r and "instead of the Edge TPU" in r for r in streams["s"]["reasons"])
    assert streams["plain"]["health"] == "ok" and not streams["plain"]["reasons"]
    assert code == 200 and health["ok"] is True and health["status"] == "degraded", health
    assert set(health["degraded"]) == {"s"} and "models.x.cpu_path" in health["degraded"]["s"]
    assert "failing" not in health
    assert summary["totals"]["degraded"] == ["s"] and summary["streams"]["s"]["health"] == "degraded"
    assert summary["streams"]["s"]["reasons"] == streams["s"]["reasons"] and summary["streams"]["plain"]["health"] == "ok"
