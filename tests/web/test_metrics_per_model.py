"""/metrics counts every model of the run: a real StreamManager with two streams on two real Coral models
(the CPU backend), each (backend, model) pair's requests per device, its latency histogram, the file that
runs, and each stream's workflow block counts, parsed with prometheus_client's own parser."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("aiohttp")
pytest.importorskip("prometheus_client")

from conftest import coral_file  # noqa: E402
from media import write_video  # noqa: E402
from web_service import request, serving  # noqa: E402

FRAMES = 20


def samples(text: str) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_per_backend_model_device_and_workflow_counts(tmp_path, runtime_context):
    from coral_inference.streams.manager import StreamManager

    video = write_video(tmp_path / "clip.mp4", frames=FRAMES)
    small = coral_file("mobilenet_v1_0.25_128_quant.tflite")
    big = coral_file("mobilenet_v2_1.0_224_quant.tflite")
    context = runtime_context(
        "run.mode=serve", "backends=cpu", f"models.small.path={small}", f"models.big.path={big}",
        f"streams.a.source={video}", "streams.a.model=small", f"streams.b.source={video}", "streams.b.model=big",
        "streams.a.max_fps=20", "streams.b.max_fps=20",  # about a second: results after the service subscribed
        "streams.b.workflow=[{block: score_filter, min_score: 0.99}, {block: label_filter, exclude: [nothing]}]")
    manager = StreamManager(context)
    with serving(manager) as s:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(st["status"] == "finished" for st in manager.status().values()):
            time.sleep(0.05)
        status, _headers, body = request(s.url, "/metrics")
    assert status == 200
    found = samples(body.decode() if isinstance(body, bytes) else body)
    for model in ("small", "big"):
        key = ("coral_inference_requests_total", (("backend", "cpu"), ("device", "cpu:0"), ("model", model)))
        assert found[key] == FRAMES, sorted(k for k in found if k[0].startswith("coral_inference"))
        count = ("coral_inference_latency_seconds_count", (("backend", "cpu"), ("model", model)))
        assert 1 <= found[count] <= FRAMES  # observed from the subscriber on (the helper starts the streams first)
    info = [k for k in found if k[0] == "coral_model_info"]
    assert any(("file", "mobilenet_v2_1.0_224_quant.tflite") in k[1] and ("key", "models.big") in k[1] for k in info)
    workflow = {(dict(k[1])["block"], dict(k[1])["key"]): v for k, v in found.items()
                if k[0] == "coral_workflow_count" and dict(k[1])["stream"] == "b"}
    assert {key for _, key in workflow} >= {"removed", "dropped_results"}
    assert any(block.startswith("score_filter") for block, _ in workflow)
    assert any(block.startswith("label_filter") for block, _ in workflow)


def test_zone_and_line_counts_of_a_tracked_stream_are_workflow_counts():
    from coral_inference.web.metrics import _workflow_family

    status = {"door": {"workflow": {}, "events": {"zones": {"porch": {"enter": 3, "leave": 2, "max_inside": 2}},
                                                  "lines": {"gate": {"in": 5, "out": 1}}}}}
    family = _workflow_family(status, {("door", "porch"): 1})
    got = {(s.labels["block"], s.labels["key"]): s.value for s in family.samples}
    assert got == {("zone:porch", "enter"): 3, ("zone:porch", "leave"): 2, ("zone:porch", "max_inside"): 2,
                   ("line:gate", "in"): 5, ("line:gate", "out"): 1, ("zone:porch", "inside"): 1}
