"""Bad input: one clear message naming the key/value/source, the documented exit code, no
traceback, and a `failed` summary wherever a run directory exists."""

import pytest

from conftest import coral_file, run_cli, summaries

HEADER = "defaults:\n  - config\n  - _self_\n"

CONFIG_FILES = {
    "yaml_syntax": (HEADER + "run:\n  warmup: [1\n", ["YAML syntax error", "site.yaml"]),
    "wrong_type": (HEADER + "run:\n  warmup: lots\n", ["run.warmup", "lots"]),
    "unknown_key": (HEADER + "run:\n  warmpu: 3\n", ["run.warmpu"]),
    "unknown_group_option": ("defaults:\n  - config\n  - override /backends: gpu\n  - _self_\n", ["backends/gpu"]),
    "bad_enum": (HEADER + "run:\n  mode: sprint\n", ["run.mode", "sprint"]),
    "bad_interpolation": (HEADER + "model:\n  labels: ${oc.env:CORAL_TEST_SURELY_UNSET_VAR}\n",
                          ["model.labels", "CORAL_TEST_SURELY_UNSET_VAR"]),
    "missing_interpolation_key": (HEADER + "model:\n  labels: ${nowhere.key}\n", ["model.labels", "nowhere"]),
}


@pytest.mark.parametrize("name", sorted(CONFIG_FILES))
def test_bad_config_file(tmp_path, name):
    text, expected = CONFIG_FILES[name]
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "site.yaml").write_text(text)
    proc = run_cli("coral-run", "--config-dir", str(tmp_path / "conf"), "--config-name", "site", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in expected:
        assert fragment in proc.stderr
    for summary in summaries(tmp_path / "outputs"):  # a run dir exists only after composition
        assert summary["status"] == "failed" and summary["error"]["exit_code"] == 2


OVERRIDES = {
    "bad_syntax": (["backends=[cpu"], ["[cpu"]),
    "unknown_key": (["backends.cpu.num_thread=2"], ["num_thread"]),
    "wrong_type": (["backends.cpu.workers=two"], ["backends.cpu.workers", "two"]),
    "unknown_option": (["platform=coral_devboard_max"], ["platform/coral_devboard_max"]),
    "empty_int": (["run.warmup="], ["run.warmup"]),
    "missing_value": (["model.path=???"], ["model.path"]),
    "bad_fallback": (["backends.cpu.fallback=gpu"], ["backends.cpu.fallback", "gpu"]),
    "unwritable_run_dir": (["hydra.run.dir=/proc/coral-cannot-write"], ["/proc/coral-cannot-write"]),
    "unwritable_sweep_dir": (["-m", "backends=cpu", "hydra.sweep.dir=/proc/coral-cannot-write"],
                             ["/proc/coral-cannot-write"]),
    "plus_unknown_key": (["+unknown.key=1"], ["unknown", "command line"]),
    "plus_unknown_nested_key": (["+backends.cpu.turbo=true"], ["backends.cpu.turbo"]),
    "bench_iterations": (["run.mode=bench", "run.iterations=-1"], ["run.iterations", "-1"]),
    "pipeline_without_source": (["run.mode=pipeline"], ["run.source"]),
    "pipeline_missing_source": (["run.mode=pipeline", "run.source=/nonexistent/clip.mp4"],
                                ["run.source", "/nonexistent/clip.mp4"]),
    "labels_missing": (["model.labels=/nonexistent/labels.txt"], ["model.labels", "/nonexistent/labels.txt"]),
    "interpreter_unknown": (["run.interpreter=tensorflow_lite_micro"], ["run.interpreter"]),
    "turn_without_credential": (["services.webrtc.enabled=true",
                                 "services.webrtc.ice_servers=[{urls:[turn:turn.example.org]}]"],
                                ["services.webrtc.ice_servers[0].credential", "command line"]),
    "stun_bad_scheme": (["services.webrtc.enabled=true", "services.webrtc.ice_servers=[{urls:[http://x.org]}]"],
                        ["http://x.org"]),
}


@pytest.mark.parametrize("name", sorted(OVERRIDES))
def test_bad_override(tmp_path, name):
    args, expected = OVERRIDES[name]
    proc = run_cli("coral-run", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in expected:
        assert fragment in proc.stderr


def _model_case(tmp_path, kind):
    path = tmp_path / "model.tflite"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("this is not a model\n")
    elif kind == "missing":
        return str(tmp_path / "absent.tflite")
    return str(path)


@pytest.mark.parametrize("kind", ["empty", "text", "missing"])
def test_bad_model_file(tmp_path, kind):
    model = _model_case(tmp_path, kind)
    proc = run_cli("coral-run", "backends=cpu", f"model.path={model}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "model.path" in proc.stderr and model in proc.stderr and "Traceback" not in proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "failed" and summary["error"]["exit_code"] == 2


def test_edgetpu_model_without_cpu_twin_on_cpu(tmp_path):
    model = coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite")
    proc = run_cli("coral-run", "backends=cpu", f"model.path={model}", cwd=tmp_path)
    assert proc.returncode == 2
    assert "model.cpu_path" in proc.stderr and "unresolved custom op" not in proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "failed"


def test_invalid_model_op_is_a_clear_error(tmp_path):
    model = coral_file("model_invoking_error.tflite")
    proc = run_cli("coral-run", "backends=cpu", f"model.path={model}", cwd=tmp_path)
    assert proc.returncode in (2, 3)
    assert "fake-op-double" in proc.stderr and "Traceback" not in proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "failed" and summary["error"]["exit_code"] == proc.returncode


ENV = {
    "bad_int": ({"CORAL_BACKENDS__CPU__NUM_THREADS": "many"}, ["CORAL_BACKENDS__CPU__NUM_THREADS", "many"]),
    "bad_enum": ({"CORAL_RUN__MODE": "sprint"}, ["CORAL_RUN__MODE", "sprint"]),
    "unknown_group_option": ({"CORAL_BACKENDS": "gpu"}, ["backends/gpu", "CORAL_BACKENDS"]),
    "unknown_name_strict": ({"CORAL_STRICT": "1", "CORAL_BACKEND": "cpu"}, ["CORAL_BACKEND", "CORAL_BACKENDS"]),
    "bad_bool": ({"CORAL_PLUGINS__STRICT": "perhaps"}, ["CORAL_PLUGINS__STRICT", "perhaps"]),
}


@pytest.mark.parametrize("name", sorted(ENV))
def test_bad_environment(tmp_path, name):
    env, expected = ENV[name]
    proc = run_cli("coral-run", cwd=tmp_path, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in expected:
        assert fragment in proc.stderr


DEVICES = {
    "bad_grammar": (["backends=edgetpu_single", "backends.edgetpu_single.devices=usb:x"], ["usb:x"]),
    "bad_type_word": (["backends=edgetpu_single", "backends.edgetpu_single.devices=pcie:0"], ["pcie:0"]),
    "claimed_twice": (["backends=edgetpu_single", "backends.edgetpu_single.devices=[pci:0,pci:0]"],
                      ["pci:0", "claimed"]),
    "platform_lacks_type": (["platform=m2_pcie", "backends=edgetpu_single", "backends.edgetpu_single.devices=usb:0"],
                            ["m2_pcie", "usb"]),
    "more_than_platform_holds": (["platform=usb_accelerator", "backends=edgetpu_multi"],
                                 ["usb_accelerator", "max_devices"]),
}


@pytest.mark.parametrize("name", sorted(DEVICES))
def test_bad_device_spec_is_caught_before_any_hardware(tmp_path, name):
    args, expected = DEVICES[name]
    proc = run_cli("coral-run", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "found none" not in proc.stderr  # validation, not discovery
    for fragment in expected:
        assert fragment in proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "failed" and summary["backends"] == []


def test_truncated_model(tmp_path):
    model = tmp_path / "truncated.tflite"
    model.write_bytes(coral_file("mobilenet_v2_1.0_224_quant.tflite").read_bytes()[:1000])
    proc = run_cli("coral-run", "backends=cpu", f"model.path={model}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "not a valid TFLite flatbuffer" in proc.stderr and str(model) in proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "failed" and summary["error"]["exit_code"] == 2


def test_edgetpu_model_with_cpu_fallback_but_no_twin(tmp_path):
    model = coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite")
    proc = run_cli("coral-run", "backends=edgetpu_single", "backends.edgetpu_single.fallback=cpu",
                   f"model.path={model}", cwd=tmp_path)
    assert proc.returncode == 2
    assert "model.cpu_path" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("strict,code", [("false", 0), ("true", 4)])
def test_failing_plugins(tmp_path, strict, code):
    from plugin_dists import write_cases

    site = write_cases(tmp_path / "site")
    proc = run_cli("coral-run", "backends=cpu", f"plugins.strict={strict}", cwd=tmp_path,
                   env={"PYTHONPATH": str(site)})
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    loaded = summary["plugins"]["loaded"]
    assert loaded["good_patch"] is True and loaded["raises"] is False and loaded["broken_import"] is False
    assert summary["status"] == ("failed" if code else "ok")


def test_a_bad_option_in_a_sweep_is_a_configuration_error(tmp_path):
    proc = run_cli("coral-run", "-m", "backends=cpu,nope", "run.mode=validate", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "backends/nope" in proc.stderr and "from command line" in proc.stderr
