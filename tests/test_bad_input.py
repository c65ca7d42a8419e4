"""Bad input: one clear message naming the key/value/source, the documented exit code, no
traceback, and a `failed` summary wherever a run directory exists."""

import json

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
