"""Subprocess tests of the installed coral-run console script."""

import json

from conftest import run_cli, summaries

REQUIRED_KEYS = {
    "schema_version", "status", "started_at", "finished_at", "argv", "overrides", "choices", "config",
    "config_sha256", "platform", "backends", "patches", "plugins", "versions", "error",
}


def test_default_run_writes_an_ok_summary_with_a_real_cpu_backend(tmp_path):
    proc = run_cli("coral-run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "coral-run: ok" in proc.stdout
    [summary] = summaries(tmp_path / "outputs")
    assert REQUIRED_KEYS <= set(summary)
    assert summary["status"] == "ok" and summary["error"] is None
    assert summary["choices"]["backends"] == "auto" and summary["choices"]["platform"] == "auto"
    [backend] = summary["backends"]
    assert backend["device"] == "cpu" and backend["status"] == "ok"
    assert backend["interpreter"]["module"] in ("ai_edge_litert", "tflite_runtime", "tensorflow")
    assert backend["timings_ms"]["init"] > 0 and backend["timings_ms"]["first_inference"] > 0
    assert backend["selfcheck"]["passed"] is True
    assert len(backend["model"]["sha256"]) == 64


def test_explicit_edgetpu_without_hardware_exits_3_with_a_failed_summary(tmp_path):
    proc = run_cli("coral-run", "platform=coral_devboard", "backends=edgetpu_multi", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "expected at least 2 Edge TPU" in proc.stderr and "found none" in proc.stderr
    assert "fallback=cpu" in proc.stderr and "libedgetpu" in proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "failed"
    assert summary["error"]["exit_code"] == 3
    assert summary["backends"][0]["status"] == "failed"


def test_fallback_cpu_degrades_instead_of_failing(tmp_path):
    proc = run_cli("coral-run", "backends=edgetpu_single", "backends.edgetpu_single.fallback=cpu", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "degraded"
    backend = summary["backends"][0]
    assert backend["fallback"]["taken"] is True and "Edge TPU" in backend["reason"]
    assert "fallback=cpu" not in backend["reason"]  # the way out already taken is not suggested again


def test_bad_override_exits_2_without_traceback(tmp_path):
    proc = run_cli("coral-run", "backends.cpu.num_thread=2", cwd=tmp_path)
    assert proc.returncode == 2
    assert "num_thread" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_model_file_exits_2_with_failed_summary(tmp_path):
    proc = run_cli("coral-run", "model.path=/nonexistent/m.tflite", cwd=tmp_path)
    assert proc.returncode == 2
    assert "model.path" in proc.stderr and "/nonexistent/m.tflite" in proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "failed" and summary["error"]["exit_code"] == 2


def test_multirun_leaves_one_summary_per_job_and_goes_on_after_a_failure(tmp_path):
    proc = run_cli("coral-run", "-m", "backends=cpu,auto,edgetpu_single", cwd=tmp_path, timeout=300)
    assert proc.returncode == 1  # one job failed; the others ran
    found = summaries(tmp_path / "multirun")
    assert sorted(s["choices"]["backends"] for s in found) == ["auto", "cpu", "edgetpu_single"]
    status = {s["choices"]["backends"]: s["status"] for s in found}
    assert status == {"auto": "ok", "cpu": "ok", "edgetpu_single": "failed"}


def test_json_output_is_the_summary(tmp_path):
    proc = run_cli("coral-run", "run.output=json", "backends=cpu", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    [written] = summaries(tmp_path / "outputs")
    assert printed["config_sha256"] == written["config_sha256"]


def test_hydra_cfg_flag_still_works(tmp_path):
    proc = run_cli("coral-run", "--cfg", "job", "--resolve", "backends=cpu", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "enabled:" in proc.stdout and "- cpu" in proc.stdout


def test_user_config_dir_adds_a_platform_option(tmp_path):
    folder = tmp_path / "myconf" / "platform"
    folder.mkdir(parents=True)
    (folder / "my_board.yaml").write_text("name: my_board\nedgetpu_types: [usb]\nmax_devices: 1\n")
    proc = run_cli("coral-run", "--config-dir", str(tmp_path / "myconf"), "platform=my_board", "backends=cpu",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["platform"]["name"] == "my_board"
