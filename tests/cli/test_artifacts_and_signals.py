"""Secrets never reach an artifact; signals leave a failed summary or none, never a partial one."""

import json
import signal
import subprocess
import time

import pytest

from conftest import console_script, run_cli

SECRET = "s3cr3t-VALUE-42"


def _all_text(folder):
    for path in folder.rglob("*"):
        if path.is_file():
            yield path, path.read_bytes()


def test_cli_secret_is_redacted_everywhere(tmp_path):
    proc = run_cli(
        "coral-run",
        f"services.metrics.token={SECRET}",
        f"services.webrtc.ice_servers=[{{urls:[turn:turn.example.org],username:u,credential:{SECRET}x}}]",
        "backends=cpu",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert SECRET not in proc.stdout and SECRET not in proc.stderr
    hits = [str(p) for p, data in _all_text(tmp_path / "outputs") if SECRET.encode() in data]
    assert hits == []
    summary = json.loads(next((tmp_path / "outputs").rglob("runtime_summary.json")).read_text())
    assert summary["config"]["services"]["metrics"]["token"] == "***"
    assert summary["config"]["services"]["webrtc"]["ice_servers"][0]["credential"] == "***"
    hydra_overrides = next((tmp_path / "outputs").rglob(".hydra/overrides.yaml")).read_text()
    assert "services.metrics.token=***" in hydra_overrides


def test_secret_from_a_config_file_is_redacted(tmp_path):
    conf = tmp_path / "deploy"
    conf.mkdir()
    (conf / "site.yaml").write_text(
        "defaults:\n  - config\n  - _self_\nservices:\n  metrics:\n    token: " + SECRET + "\n"
    )
    proc = run_cli("coral-run", "--config-dir", str(conf), "--config-name", "site", "backends=cpu", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    hits = [str(p) for p, data in _all_text(tmp_path / "outputs") if SECRET.encode() in data]
    assert hits == [] and SECRET not in proc.stdout


def test_sigterm_mid_run_leaves_a_failed_summary_or_none(tmp_path):
    proc = subprocess.Popen(
        [console_script("coral-run"), "backends=cpu", "run.warmup=100000000", "hydra.run.dir=run"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "run" / ".hydra").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # inside init / warm-up by now
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    files = [p.name for p in (tmp_path / "run").iterdir()]
    assert not [f for f in files if f.endswith(".tmp")]
    summary = json.loads((tmp_path / "run" / "runtime_summary.json").read_text())
    assert summary["status"] == "failed"
    assert summary["error"]["exit_code"] == 143 and "SIGTERM" in summary["error"]["message"]


def test_one_secret_through_file_env_and_cli_never_lands_anywhere(tmp_path):
    conf = tmp_path / "deploy"
    conf.mkdir()
    (conf / "site.yaml").write_text(
        "defaults:\n  - config\n  - _self_\nservices:\n  webrtc:\n    ice_servers:\n"
        f"      - urls: [turn:turn.example.org]\n        username: u\n        credential: {SECRET}-file\n"
    )
    proc = run_cli(
        "coral-run", "--config-dir", str(conf), "--config-name", "site", "backends=cpu",
        "+summary.extra_secret=x",  # an unknown key: the run fails, the summary must still be clean
        cwd=tmp_path, env={"CORAL_SERVICES__METRICS__TOKEN": f"{SECRET}-env"},
    )
    assert proc.returncode == 2
    proc = run_cli(
        "coral-run", "--config-dir", str(conf), "--config-name", "site", "backends=cpu",
        f"services.metrics.token={SECRET}-cli",
        cwd=tmp_path, env={"CORAL_SERVICES__METRICS__ORG": "org", "CORAL_SERVICES__METRICS__TOKEN": f"{SECRET}-env"},
    )
    assert proc.returncode == 0, proc.stderr
    for stream in (proc.stdout, proc.stderr):
        assert SECRET not in stream
    hits = [str(p) for p, data in _all_text(tmp_path / "outputs") if SECRET.encode() in data]
    assert hits == []
    files = {p.name for p, _ in _all_text(tmp_path / "outputs")}
    assert {"runtime_summary.json", "config.yaml", "hydra.yaml", "overrides.yaml"} <= files


def test_eight_parallel_joblib_jobs_write_eight_complete_summaries(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    proc = run_cli("coral-run", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "backends=cpu",
                   "run.warmup=1,2,3,4,5,6,7,8", "hydra.sweep.dir=sweep", cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr
    found = sorted((tmp_path / "sweep").glob("*/runtime_summary.json"))
    assert len(found) == 8
    warmups = sorted(json.loads(p.read_text())["config"]["run"]["warmup"] for p in found)
    assert warmups == list(range(1, 9))
    assert not list((tmp_path / "sweep").rglob("*.tmp"))


def test_a_secret_quoted_in_a_composition_error_is_redacted(tmp_path):
    bad = f"services.webrtc.ice_servers=[{{urls:[stun:x.org:3478],credential:{SECRET},bogus:1}}]"
    run = run_cli("coral-run", bad, cwd=tmp_path)
    runtime = run_cli("coral-runtime", "config", "validate", "--json", bad, cwd=tmp_path)
    assert run.returncode == runtime.returncode == 2
    assert "services.webrtc.ice_servers" in run.stderr and "credential:***" in run.stderr
    for text in (run.stdout, run.stderr, runtime.stdout, runtime.stderr):
        assert SECRET not in text
    assert json.loads(runtime.stdout)["error"]["problems"][0]["key"] == "services.webrtc.ice_servers"


def test_list_and_mapping_values_under_secret_keys_are_redacted(tmp_path):
    from coral_inference.summary import redact, redact_text

    assert redact({"api_keys": ["k1", ""], "credentials": {"user": "u", "pass": {"x": "p"}}, "n": 1}) == {
        "api_keys": ["***", ""], "credentials": {"user": "***", "pass": {"x": "***"}}, "n": 1}
    assert redact({"secret_keys": ["token"]}) == {"secret_keys": ["token"]}  # names, not secrets
    assert redact_text("a=1,x.token=v1,v2,b=2 api_key=[k1,k2]") == "a=1,x.token=***,b=2 api_key=***"
    proc = run_cli("coral-run", f"+plugins.config.demo.api_keys=[{SECRET}a,{SECRET}b]",
                   f"+plugins.config.demo.credentials={{user:u,pass:{SECRET}c}}", "run.output=json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert SECRET not in proc.stdout and SECRET not in proc.stderr
    assert [str(p) for p, data in _all_text(tmp_path / "outputs") if SECRET.encode() in data] == []


def test_a_swept_secret_stays_out_of_the_sweep_folder_and_the_launcher_log(tmp_path):
    proc = run_cli("coral-run", "-m", f"services.metrics.token={SECRET}1,{SECRET}2", "run.mode=validate",
                   "hydra.sweep.dir=sweep", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "#1 : services.metrics.token=***" in proc.stdout + proc.stderr
    assert SECRET not in proc.stdout and SECRET not in proc.stderr
    files = list(_all_text(tmp_path / "sweep"))
    assert any(p.name == "multirun.yaml" for p, _ in files)
    assert [str(p) for p, data in files if SECRET.encode() in data] == []


def test_summary_secret_keys_from_the_environment_is_a_list_of_names_not_a_secret(tmp_path):
    from coral_inference.summary import redact_text

    assert redact_text("++plugins.config.d.credentials.user=u1") == "++plugins.config.d.credentials.user=***"
    assert redact_text("summary.secret_keys=[token,passphrase]") == "summary.secret_keys=[token,passphrase]"
    env = {"CORAL_SUMMARY__SECRET_KEYS": "token,passphrase"}
    proc = run_cli("coral-run", f"+plugins.config.demo.passphrase={SECRET}", "hydra.run.dir=run", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("coral-run: ok")  # the status itself was redacted: the keys were characters
    summary = json.loads((tmp_path / "run" / "runtime_summary.json").read_text())
    assert summary["status"] == "ok" and summary["config"]["summary"]["secret_keys"] == ["token", "passphrase"]
    assert summary["config"]["plugins"]["config"]["demo"]["passphrase"] == "***"
    assert SECRET not in proc.stdout + proc.stderr
    assert [str(p) for p, data in _all_text(tmp_path / "run") if SECRET.encode() in data] == []
    check = run_cli("coral-runtime", "config", "validate", "--json", "summary.secret_keys=[token,passphrase]",
                    cwd=tmp_path)
    assert check.returncode == 0 and json.loads(check.stdout)["warnings"] == []  # names, not a literal secret
