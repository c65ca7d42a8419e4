"""Stream health, generic over what a stream uses: a stream running the CPU twin of an Edge TPU model (its
backend fell back) is `degraded` with the reason, in the status, the summary and the run's status_reasons;
a failing sink (any kind: a plugin's too) degrades its stream; a stream that produced no frame fails."""

from __future__ import annotations

from conftest import coral_file, run_cli, summaries
from media import write_video


class Broken:
    """A plugin sink whose writes fail."""

    def __init__(self, stream, context):
        pass

    def write(self, result, frame):
        raise OSError("disk gone")

    def close(self):
        return {}


def test_the_cpu_twin_of_an_edgetpu_model_degrades_its_stream(tmp_path):
    tpu = coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite")
    twin = coral_file("mobilenet_v1_0.25_128_quant.tflite")
    video = write_video(tmp_path / "v.mp4", frames=3)
    proc = run_cli("coral-run", "run.mode=pipeline", f"platform.device_root={tmp_path}",  # no Edge TPU here
                   f"models.x.path={tpu}", f"models.x.cpu_path={twin}", "streams.s.model=x",
                   f"streams.s.source={video}", f"streams.plain.source={video}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    streams = summary["results"]["pipeline"]["streams"]
    assert streams["s"]["health"] == "degraded" and streams["s"]["status"] == "finished"
    assert any("models.x.cpu_path" in r and "instead of the Edge TPU" in r for r in streams["s"]["reasons"])
    assert streams["plain"]["health"] == "ok"  # builtin:selftest on the CPU: what was asked
    assert summary["status"] == "degraded"
    assert any(r.startswith("streams.s: degraded: backend auto") for r in summary["status_reasons"])
    assert "s: finished" in proc.stdout and "degraded: backend auto" in proc.stdout


def test_a_failing_sink_degrades_its_stream_only(tmp_path, runtime_context):
    from coral_inference.streams.manager import StreamManager

    video = write_video(tmp_path / "clip.mp4", frames=4)
    context = runtime_context("run.mode=pipeline", "backends=cpu", f"streams.a.source={video}",
                              f"streams.b.source={video}", "streams.b.sinks.broken=true")
    context.registry.add("sink", "broken", Broken, source="test-dist")
    manager = StreamManager(context)
    manager.start()
    assert manager.wait(timeout=60)
    manager.stop()
    status = manager.status()
    assert status["a"]["health"] == "ok" and status["a"]["reasons"] == []
    assert status["b"]["health"] == "degraded"
    [reason] = status["b"]["reasons"]
    assert reason.startswith("sink broken: 4 failed write(s)") and "disk gone" in reason
    assert manager.summary()["totals"]["degraded"] == ["b"]
    # the run is degraded with the sink's first error (the run's problems, handed to the stream when built)
    assert list(context.problems) == ["streams.b.sinks.broken"] and "disk gone" in context.problems["streams.b.sinks.broken"]


def test_a_stream_whose_results_are_all_filtered_did_not_fail(tmp_path, runtime_context):
    from coral_inference.streams.manager import StreamManager

    video = write_video(tmp_path / "clip.mp4", frames=2)
    context = runtime_context("run.mode=pipeline", "backends=cpu", f"streams.a.source={video}",
                              "streams.a.workflow=[{block: score_filter, min_score: 1.0, drop_empty: true}]")
    manager = StreamManager(context)
    manager.start()
    assert manager.wait(timeout=60)
    manager.stop()
    status = manager.status()["a"]
    # results were produced (and filtered by the workflow): the stream worked, it did not fail
    assert status["status"] == "finished" and status["frames"] == 2 and status["health"] == "ok"


def test_a_stream_model_that_cannot_run_is_blamed_on_its_own_key(tmp_path, runtime_context):
    """Built past validation (the manager alone): the backend's message names models.x, never `model`."""
    import pytest

    from coral_inference.errors import ConfigError
    from coral_inference.streams.manager import StreamManager

    tpu = coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite")
    video = write_video(tmp_path / "clip.mp4", frames=1)
    context = runtime_context("run.mode=pipeline", "backends=cpu", f"models.x.path={tpu}", "streams.a.model=x",
                              f"streams.a.source={video}")
    with pytest.raises(ConfigError) as info:
        StreamManager(context)
    text = info.value.render()
    assert "models.x.path" in text and "models.x.cpu_path=" in text and "model.cpu_path" not in text.replace(
        "models.x.cpu_path", "")
