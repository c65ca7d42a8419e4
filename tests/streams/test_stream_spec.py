"""One StreamSpec per stream (coral_inference/streams/spec.py), built by the function that both the
config check and the stream manager use: its fields, run.source as the shorthand of
streams.default.source (messages name the key the user wrote), and a coral-run pipeline that combines
run.source with streams.default settings."""

import dataclasses

import pytest

from conftest import run_cli, summaries
from media import write_video


def specs_and_issues(*overrides):
    from coral_inference.config.descriptor import RuntimeDescriptor, merge
    from coral_inference.errors import Issues
    from coral_inference.streams.spec import build_specs

    config = merge(RuntimeDescriptor.from_cli(list(overrides))).compose().runtime_config(validate=False)
    issues = Issues()
    return build_specs(config, issues), issues


def test_a_spec_holds_what_the_stream_is(tmp_path):
    video = write_video(tmp_path / "v.mp4", frames=2)
    specs, issues = specs_and_issues(
        "backends=cpu", f"streams.front.source={video}", "streams.front.max_fps=5",
        "models.small.path=builtin:selftest", "streams.front.model=small", "streams.cam.source=rtsp://127.0.0.1:1/x",
        "streams.front.workflow=[{block: score_filter, min_score: 0.5}]", "streams.front.sinks.buffer=false",
        "streams.front.sinks.preview=false", "streams.off.enabled=false", "run.max_frames=7")
    assert issues.items == [] and sorted(specs) == ["cam", "front"]  # a disabled stream has no spec
    front, cam = specs["front"], specs["cam"]
    assert (front.name, front.key, front.source, front.source_key) == ("front", "streams.front", str(video),
                                                                     "streams.front.source")
    assert (front.source_kind, front.live, cam.source_kind, cam.live) == ("file", False, "url", True)
    assert (front.model_name, front.model_key, front.model.path) == ("small", "models.small", "builtin:selftest")
    assert (cam.model_name, cam.model_key) == ("default", "model")
    assert (front.backend_name, front.max_fps, front.max_frames) == ("cpu", 5.0, 7)
    assert [dict(item) for item in front.workflow] == [{"block": "score_filter", "min_score": 0.5}]
    assert dict(front.sinks) == {"masks": True, "results": True, "recording": False, "metrics": False, "buffer": False,
                                "mqtt": False, "webhook": False,
                                 "snapshots": True, "events": True}
    assert (front.preview, cam.preview) == (False, True)
    assert front.reconnect.backoff_s == 0.5 and front.config.max_fps == 5.0 and front.key_of("max_fps") == "streams.front.max_fps"
    with pytest.raises(dataclasses.FrozenInstanceError):
        front.source = "other"


def test_run_source_is_the_shorthand_of_streams_default_source(tmp_path):
    video = write_video(tmp_path / "v.mp4", frames=2)
    specs, issues = specs_and_issues(f"run.source={video}", "streams.default.max_fps=3",
                                     "streams.default.workflow=[{block: score_filter, min_score: 0.1}]")
    assert issues.items == []
    [spec] = specs.values()
    assert (spec.name, spec.source, spec.source_key, spec.key_of("source")) == ("default", str(video), "run.source",
                                                                             "run.source")
    assert spec.max_fps == 3.0 and spec.workflow[0]["block"] == "score_filter"
    # both set: run.source wins, and a warning says so
    other = write_video(tmp_path / "w.mp4", frames=2)
    specs, issues = specs_and_issues(f"run.source={video}", f"streams.default.source={other}")
    assert specs["default"].source == str(video)
    [warning] = issues.items
    assert (warning.severity, warning.key, warning.value) == ("warning", "streams.default.source", str(other))


def test_problems_name_the_key_the_user_wrote(tmp_path):
    _, issues = specs_and_issues(f"run.source={tmp_path}/nope.mp4", "streams.default.model=nope",
                                 f"streams.cam.source={tmp_path}/gone.mp4", "streams.cam.reconnect.backoff_s=9")
    found = {p.key: p for p in issues.errors}
    assert set(found) == {"run.source", "streams.default.model", "streams.cam.source", "streams.cam.reconnect.backoff_s"}
    assert found["run.source"].message == "no such file or folder" and found["run.source"].source == "command line"
    assert "at most streams.cam.reconnect.backoff_max_s (8.0)" in found["streams.cam.reconnect.backoff_s"].expected


def test_the_manager_runs_the_specs_of_the_check(tmp_path, runtime_context):
    from coral_inference.errors import Issues
    from coral_inference.streams.manager import StreamManager
    from coral_inference.streams.spec import build_specs

    video = write_video(tmp_path / "v.mp4", frames=3)
    context = runtime_context("run.mode=pipeline", "backends=cpu", f"run.source={video}",
                              "streams.default.max_fps=50", f"streams.b.source={video}", "streams.c.enabled=false")
    manager = StreamManager(context)
    assert {name: s.spec for name, s in manager.streams.items()} == build_specs(context.config, Issues())
    assert manager.disabled == ["c"]
    manager.start()
    assert manager.wait(timeout=30)
    manager.stop()
    summary = manager.summary()["streams"]
    assert summary["default"]["frames"] == summary["b"]["frames"] == 3 and summary["c"] == {"status": "disabled"}


def test_coral_run_with_run_source_and_default_stream_settings(tmp_path):
    video = write_video(tmp_path / "clip.mp4", frames=6)
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={video}",
                   "streams.default.workflow=[{block: score_filter, min_score: 0.0}]", "streams.default.sinks.buffer=false",
                   f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    stream = summaries(tmp_path / "run")[0]["results"]["pipeline"]["streams"]["default"]
    assert stream["frames"] == 6 and stream["source"] == str(video)
    assert stream["workflow"] == {"score_filter": {"removed": 0, "dropped_results": 0}}
    assert "buffer" not in stream["sinks"] and stream["sinks"]["results"]["lines"] == 6
    bad = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={tmp_path}/nope.mp4",
                  "streams.default.workflow=[{block: nope}]", f"hydra.run.dir={tmp_path}/bad", cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "run.source: no such file or folder" in bad.stderr and "streams.default.workflow[0].block" in bad.stderr
