"""The `streams` and `models` sections: new names from a plain dotted override (no `+`), typed entries
(unknown keys and wrong types are errors naming streams.<name>.<key>), and the streams check: every
problem at once, with its source."""

import json

import pytest

from conftest import run_cli, summaries
from coral_inference.config.descriptor import RuntimeDescriptor as D
from coral_inference.config.descriptor import merge
from coral_inference.errors import ConfigError
from media import write_video


def config_or_problems(*overrides):
    comp = merge(D.from_cli(list(overrides))).compose()
    try:
        return comp.runtime_config(), []
    except ConfigError as exc:
        return None, exc.problems


def test_new_stream_and_model_names_without_plus(tmp_path):
    video = write_video(tmp_path / "v.mp4", frames=2)
    config, problems = config_or_problems(f"streams.front.source={video}", "streams.front.max_fps=5",
                                          "streams.front.workflow=[{block: score_filter, min_score: 0.5}]",
                                          "models.small.path=builtin:selftest", "streams.front.model=small")
    assert problems == []
    front = config.streams["front"]
    assert (front.source, front.max_fps, front.model, front.enabled) == (str(video), 5.0, "small", True)
    assert dict(front.workflow[0]) == {"block": "score_filter", "min_score": 0.5}
    assert front.reconnect.max_attempts is None and dict(front.sinks) == {}
    assert config.models["small"].path == "builtin:selftest"


def test_unknown_keys_and_bad_types_in_entries_are_all_reported():
    _, problems = config_or_problems("streams.front.sourc=x", "streams.back.max_fps=fast",
                                     "models.m.pth=a.tflite")
    keys = {p.key for p in problems}
    assert {"streams.front.sourc", "streams.back.max_fps", "models.m.pth"} <= keys
    assert all(p.source == "command line" for p in problems if p.key.startswith("streams."))


def test_stream_check_reports_every_problem_with_its_key(tmp_path):
    (tmp_path / "empty").mkdir()
    _, problems = config_or_problems(
        "run.mode=pipeline", "backends=cpu",
        f"streams.a.source={tmp_path}/missing.mp4", "streams.a.model=nope",
        "streams.b.source=ftp://cam/x", "streams.b.backend=edgetpu_single",
        f"streams.c.source={tmp_path}/empty", "streams.c.workflow=[{block: score_filtr}]",
        "streams.d.source=0", "streams.d.workflow=[{block: line_counter, line: [[0, 0]]}]",
        "streams.e.source=rtsp://127.0.0.1:1/x", "streams.e.max_fps=0")
    found = {p.key: p for p in problems}
    assert found["streams.a.source"].message == "no such file or folder"
    assert "no model named 'nope'" in found["streams.a.model"].message
    assert found["streams.b.source"].message == "unknown URL scheme 'ftp'"
    assert "not enabled" in found["streams.b.backend"].message
    assert found["streams.c.source"].message == "no images in the folder"
    assert "did you mean 'score_filter'" in found["streams.c.workflow[0].block"].message
    assert "replaced by the stream's named lines" in found["streams.d.workflow[0].block"].message
    assert found["streams.e.max_fps"].message.startswith("too small") and ">= 0.001" in found["streams.e.max_fps"].expected
    assert "streams.e.source" not in found and "streams.d.source" not in found  # live: checked at run time
    assert all(p.source == "command line" for p in problems)


def test_edgetpu_model_on_a_cpu_backend_needs_its_cpu_twin(tmp_path):
    model = tmp_path / "m_edgetpu.tflite"
    model.write_bytes(b"\x1c\x00\x00\x00TFL3" + b"edgetpu-custom-op" + b"\x00" * 32)
    video = write_video(tmp_path / "v.mp4", frames=2)
    _, problems = config_or_problems("run.mode=pipeline", "backends=cpu", f"models.tpu.path={model}",
                                     f"streams.a.source={video}", "streams.a.model=tpu")
    [p] = [p for p in problems if p.key == "models.tpu.cpu_path"]  # the key to set, as the user would write it
    assert "Edge-TPU-compiled" in p.message and "streams a" in p.message and p.source == "command line"


def test_pipeline_without_any_source_is_an_error():
    _, problems = config_or_problems("run.mode=pipeline", "backends=cpu")
    assert [p.key for p in problems] == ["run.source"]


@pytest.mark.parametrize("cli", ["coral-run", "coral-runtime"])
def test_dotted_stream_override_through_both_clis(tmp_path, cli):
    video = write_video(tmp_path / "v.mp4", frames=3)
    if cli == "coral-run":
        proc = run_cli(cli, "run.mode=validate", f"streams.front.source={video}", f"hydra.run.dir={tmp_path}/run",
                       "run.output=json", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert summaries(tmp_path / "run")[0]["config"]["streams"]["front"]["source"] == str(video)
        bad = run_cli(cli, "run.mode=validate", "streams.front.sorce=x", f"hydra.run.dir={tmp_path}/bad", cwd=tmp_path)
    else:
        proc = run_cli(cli, "config", "show", "--json", f"streams.front.source={video}", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["config"]["streams"]["front"]["source"] == str(video)
        bad = run_cli(cli, "config", "validate", "streams.front.sorce=x", cwd=tmp_path)
    assert bad.returncode == 2 and "streams.front.sorce" in bad.stderr and "Traceback" not in bad.stderr
