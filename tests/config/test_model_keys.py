"""Validation covers every model a stream runs: what `model` gets (file exists and is TFLite, CPU twin
under a CPU fallback, labels readable, segments, task) applies to each `models.<name>` an enabled stream
names, and every message names the key the user wrote (`models.x.cpu_path`, `backends.extra.m2.devices`),
its value and its source (config/keys.py builds every such key)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import coral_file, run_cli
from coral_inference.config.descriptor import RuntimeDescriptor as D
from coral_inference.config.descriptor import merge
from coral_inference.config.keys import backend_key, model_key
from coral_inference.errors import ConfigError
from media import write_video


def problems_of(*overrides, file=None):
    layers = ([D.from_file(file)] if file else []) + [D.from_cli(list(overrides))]
    try:
        merge(*layers).compose().runtime_config()
    except ConfigError as exc:
        return {p.key: p for p in exc.problems}
    return {}


@pytest.fixture
def video(tmp_path):
    return write_video(tmp_path / "v.mp4", frames=2)


def test_model_key_and_backend_key():
    assert model_key("default") == "model" and model_key("x") == "models.x"
    cfg = merge(D.from_cli([])).compose().runtime_config()
    assert backend_key(cfg, "cpu") == "backends.cpu"


def test_a_bad_model_file_of_a_stream_names_its_key_value_and_source(tmp_path, video):
    bad = tmp_path / "notamodel.tflite"
    bad.write_text("not a model")
    found = problems_of("run.mode=pipeline", "backends=cpu", f"models.x.path={bad}", "streams.s.model=x",
                        f"streams.s.source={video}", f"models.x.labels={tmp_path / 'no_labels.txt'}",
                        f"models.x.cpu_path={tmp_path / 'missing.tflite'}")
    assert "not a TFLite model" in found["models.x.path"].message
    assert found["models.x.path"].value == str(bad) and found["models.x.path"].source == "command line"
    assert found["models.x.labels"].message == "labels file not found"
    assert found["models.x.cpu_path"].message == "model file not found"
    assert not any(k.startswith("model.") for k in found)  # never blamed on `model`


def test_config_validate_refuses_a_bad_models_entry_exit_2(tmp_path, video):
    bad = tmp_path / "notamodel.tflite"
    bad.write_text("not a model")
    proc = run_cli("coral-runtime", "config", "validate", "run.mode=pipeline", f"models.x.path={bad}",
                   "streams.s.model=x", f"streams.s.source={video}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "models.x.path: not a TFLite model" in proc.stderr and "from command line" in proc.stderr
    assert "configuration ok" not in proc.stdout and "Traceback" not in proc.stderr


def test_edgetpu_model_of_a_stream_without_cpu_twin_under_fallback_cpu(tmp_path, video):
    tpu = coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite")
    found = problems_of("run.mode=pipeline", f"platform.device_root={tmp_path}", f"models.x.path={tpu}",
                        "streams.s.model=x", f"streams.s.source={video}")  # backends=auto: fallback cpu
    p = found["models.x.cpu_path"]
    assert "Edge-TPU-compiled" in p.message and "streams s" in p.message and p.source == "command line"
    twin = coral_file("mobilenet_v1_0.25_128_quant.tflite")
    assert "models.x.cpu_path" not in problems_of("run.mode=pipeline", f"models.x.path={tpu}",
                                                  f"models.x.cpu_path={twin}", "streams.s.model=x",
                                                  f"streams.s.source={video}")


def test_segments_and_task_of_a_stream_model(tmp_path, video):
    found = problems_of("run.mode=pipeline", "backends=cpu", "models.x.path=builtin:selftest",
                        f"models.x.segments=[{tmp_path / 'a.tflite'},{tmp_path / 'b.tflite'}]",
                        "models.x.task=detection", "streams.s.model=x", f"streams.s.source={video}")
    assert "models.x.segments[0]" in found and "models.x.segments[1]" in found
    # a segmented model's task is read from its last segment (missing here), never from models.x.path
    assert "models.x.task" not in found


def test_a_models_entry_no_stream_runs_is_a_warning_not_an_error(tmp_path):
    comp = merge(D.from_cli(["models.unused.path=/nowhere.tflite"])).compose()
    comp.runtime_config()  # no error: nothing loads it
    [w] = [w for w in comp.issues.warnings if w.key == "models.unused.path"]
    assert w.message == "model file not found" and w.source == "command line"


def test_extra_backend_errors_name_backends_extra(tmp_path):
    conf = tmp_path / "m2.yaml"
    conf.write_text("backends:\n  enabled: [m2]\n  extra:\n    m2:\n      kind: edgetpu\n      devices: bogus\n")
    found = problems_of(file=str(conf))
    p = found["backends.extra.m2.devices"]
    assert p.value == "bogus" and p.source and "m2.yaml" in p.source
    assert not any(k.startswith("backends.m2") for k in found)
    proc = run_cli("coral-runtime", "config", "validate", "-c", str(conf), cwd=tmp_path)
    assert proc.returncode == 2 and "backends.extra.m2.devices" in proc.stderr, proc.stderr


@settings(max_examples=25, deadline=None)
@given(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,11}", fullmatch=True).filter(
    lambda n: n not in ("default", "true", "false", "null", "nan", "inf") and n.lower() not in ("true", "false", "null", "nan", "inf")))
def test_any_model_name_is_named_in_its_message(tmp_path_factory, name):
    folder = tmp_path_factory.mktemp("m")
    video = write_video(folder / "v.mp4", frames=1)
    found = problems_of("run.mode=pipeline", "backends=cpu", f"models.{name}.path={folder / 'gone.tflite'}",
                        f"streams.s.model={name}", f"streams.s.source={video}")
    assert f"models.{name}.path" in found and found[f"models.{name}.path"].message == "model file not found"
