"""Model inspection (flatbuffer only), model pairs and their status, the interpreter provider."""

import json

import pytest

from conftest import coral_file, run_cli
from device_tree import fake_tree
from coral_inference import interpreter
from coral_inference.backends.models import load_model
from coral_inference.errors import BackendError, ConfigError
from coral_inference.runtime.config import RuntimeConfig
from coral_inference.runtime.init import init


def test_inspect_edgetpu_model_without_running_it():
    info = load_model(str(coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite"))).inspect()
    assert info["edgetpu_compiled"] is True and info["custom_ops"] == ["edgetpu-custom-op"]
    assert info["operators"] == {"edgetpu-custom-op": 1}
    assert info["sha256"] == "a4cb1e493346542248687939fbd7421ab92d74c58b1f0a0018b8f1bdddfcef7e"
    [tensor] = info["inputs"]
    assert tensor["shape"] == [1, 128, 128, 3] and tensor["dtype"] == "uint8"
    assert tensor["quantization"] == {"scale": 0.0078125, "zero_point": 128}


def test_inspect_matches_what_the_interpreter_reports():
    path = coral_file("mobilenet_v2_1.0_224_quant.tflite")
    info = load_model(str(path)).inspect()
    provider = interpreter.get_provider("auto")
    interp = provider.Interpreter(model_path=str(path))
    [out] = interp.get_output_details()
    [mine] = info["outputs"]
    assert mine["shape"] == [int(d) for d in out["shape"]] and mine["name"] == out["name"]
    assert (mine["quantization"]["scale"], mine["quantization"]["zero_point"]) == pytest.approx(out["quantization"])
    assert info["operators"]["CONV_2D"] == 36 and not info["edgetpu_compiled"] and info["custom_ops"] == []


def test_coral_runtime_model_inspect_json_and_text(tmp_path):
    path = coral_file("mobilenet_v1_0.25_128_quant.tflite")
    proc = run_cli("coral-runtime", "model", "inspect", str(path), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["size"] == path.stat().st_size and data["edgetpu_compiled"] is False
    assert data["outputs"][0]["shape"] == [1, 1001]
    text = run_cli("coral-runtime", "model", "inspect", str(coral_file("model_invoking_error.tflite")), cwd=tmp_path)
    assert text.returncode == 0 and "fake-op-double" in text.stdout and "Edge TPU compiled: no" in text.stdout


def test_coral_runtime_model_inspect_bad_files_exit_2(tmp_path):
    (tmp_path / "x.tflite").write_bytes(b"not a model at all")
    for target in ("missing.tflite", "x.tflite"):
        proc = run_cli("coral-runtime", "model", "inspect", target, cwd=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and target in proc.stderr


def test_an_invalid_model_names_the_op_not_a_raw_error(compose):
    path = coral_file("model_invoking_error.tflite")
    with pytest.raises(ConfigError) as info:  # the file is wrong for every backend: exit 2
        init(RuntimeConfig.from_dictconfig(compose("backends=cpu", f"model.path={path}")))
    assert "fake-op-double" in info.value.render() and "builtin TFLite ops" in info.value.render()


def test_auto_without_tpu_running_the_cpu_twin_is_degraded(compose, tmp_path):
    model = coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite")
    twin = coral_file("mobilenet_v1_0.25_128_quant.tflite")
    context = init(RuntimeConfig.from_dictconfig(compose(f"platform.device_root={tmp_path}", f"model.path={model}",
                                                         f"model.cpu_path={twin}")))
    state = context.backends[0]
    assert context.status == "degraded" and state.model["key"] == "model.cpu_path"
    assert "instead of the Edge TPU" in state.reason and state.fallback["taken"]


def test_auto_without_tpu_running_a_cpu_model_is_ok(compose, tmp_path):
    model = coral_file("mobilenet_v1_0.25_128_quant.tflite")
    context = init(RuntimeConfig.from_dictconfig(compose(f"platform.device_root={tmp_path}", f"model.path={model}")))
    assert context.status == "ok" and context.backends[0].reason.startswith("no Edge TPU found")


def test_auto_with_edgetpu_model_no_twin_and_no_tpu_says_the_two_ways_out(compose, tmp_path):
    model = coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite")
    with pytest.raises(ConfigError) as info:
        init(RuntimeConfig.from_dictconfig(compose(f"platform.device_root={tmp_path}", f"model.path={model}")))
    text = info.value.render()
    assert "model.cpu_path" in text and "backends=edgetpu_single" in text and "unresolved" not in text


def test_edgetpu_backend_without_device_and_fallback_cpu_is_degraded(compose, tmp_path):
    fake_tree(tmp_path)
    context = init(RuntimeConfig.from_dictconfig(compose("backends=edgetpu_single", f"platform.device_root={tmp_path}",
                                                         "backends.edgetpu_single.fallback=cpu")))
    state = context.backends[0]
    assert context.status == "degraded" and "expected 1 Edge TPU(s)" in state.fallback["reason"]


@pytest.fixture
def fresh_provider():
    interpreter.get_provider.cache_clear()
    yield
    interpreter.get_provider.cache_clear()


def test_tflite_runtime_beside_numpy2_is_refused_plainly(monkeypatch, fresh_provider):
    import numpy

    monkeypatch.setattr(numpy, "__version__", "2.1.0")
    real = interpreter._dist_version
    monkeypatch.setattr(interpreter, "_dist_version",
                        lambda dist: "2.14.0" if dist == "tflite-runtime" else real(dist))
    with pytest.raises(BackendError) as info:
        interpreter.get_provider("tflite_runtime")
    text = info.value.render()
    assert "tflite_runtime 2.14.0 is built for numpy 1.x" in text and "numpy<2" in text
    assert "SystemError" not in text
    provider = interpreter.get_provider("auto")  # auto skips it and says so
    assert provider.module != "tflite_runtime" and "skipped tflite_runtime 2.14.0" in provider.describe()["notes"][0]


def test_run_interpreter_selects_the_module_recorded_in_the_summary(compose, fresh_provider):
    context = init(RuntimeConfig.from_dictconfig(compose("backends=cpu", "run.interpreter=ai_edge_litert")))
    described = context.backends[0].interpreter
    assert described["module"] == "ai_edge_litert" and described["version"]
    import importlib.util

    if importlib.util.find_spec("tensorflow") is not None:
        return
    with pytest.raises(BackendError, match="cannot import tensorflow.lite"):
        interpreter.get_provider("tensorflow")


def test_output_piped_into_a_reader_that_stops_early_is_no_traceback(tmp_path):
    """coral-runtime model inspect M --json | head: the reader closes the pipe before the output is written."""
    import subprocess

    from conftest import console_script

    proc = subprocess.Popen([console_script("coral-runtime"), "model", "inspect", "builtin:selftest", "--json"],
                           cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # closed before the child writes: its write meets EPIPE
    stderr = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


def test_a_signal_during_the_interpreter_import_stops_the_run_instead_of_reading_as_no_interpreter(monkeypatch):
    """SIGTERM while the interpreter package is imported (the plugin step asks for its version first) raised
    Interrupted inside get_provider; interpreter_in_use took it for "no interpreter installed" and the run went
    on to fail with exit 3 instead of stopping with 143."""
    import pytest

    from coral_inference import interpreter
    from coral_inference.errors import EXIT_SIGTERM, Interrupted

    def interrupted(choice="auto"):
        raise Interrupted("interrupted: terminated by SIGTERM", exit_code=EXIT_SIGTERM)

    monkeypatch.setattr(interpreter, "get_provider", interrupted)
    with pytest.raises(Interrupted):
        interpreter.interpreter_in_use("auto")
