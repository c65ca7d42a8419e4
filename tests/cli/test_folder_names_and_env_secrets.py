"""Secrets never reach a folder name or the summary through the back doors the review found: Hydra's usual
sweep folder pattern (``hydra.sweep.subdir=${hydra.job.override_dirname}``, and a run folder named the same
way), and a secret-named environment variable interpolated under a plain key (real coral-run subprocesses,
real multiruns)."""

from pathlib import Path

from conftest import run_cli

TOKEN = "tok3n-Zq9-abcdef"
PASSWORD = "pw9q]x'@y"  # raw, the characters that ended the userinfo match early
CAMERA = f'"rtsp://admin:{PASSWORD}@127.0.0.1:1/live"'  # quoted for Hydra's override grammar


def _everything(root: Path) -> str:
    names = "\n".join(str(p.relative_to(root)) for p in root.rglob("*"))
    texts = "".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())
    return names + texts


def test_a_sweep_named_by_its_overrides_holds_no_secret(tmp_path):
    proc = run_cli("coral-run", "-m", f"hydra.sweep.dir={tmp_path}/sweep", "hydra.sweep.subdir=${hydra.job.override_dirname}",
                   "run.mode=validate", f"services.web.token={TOKEN}", f"+plugins.config.demo.signing_key={TOKEN}x",
                   f"streams.cam.source={CAMERA}", "run.warmup=1,2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    jobs = sorted(p.name for p in (tmp_path / "sweep").iterdir() if p.is_dir())
    assert jobs == ["run.mode=validate,run.warmup=1", "run.mode=validate,run.warmup=2"]
    seen = _everything(tmp_path / "sweep") + proc.stdout + proc.stderr
    for secret in (TOKEN, PASSWORD, "pw9q"):
        assert secret not in seen


def test_the_users_exclude_keys_are_kept_and_extended(tmp_path):
    proc = run_cli("coral-run", "-m", f"hydra.sweep.dir={tmp_path}/sweep", "hydra.sweep.subdir=${hydra.job.override_dirname}",
                   "hydra.job.config.override_dirname.exclude_keys=[run.mode]", "run.mode=validate",
                   f"streams.cam.source={CAMERA}", "run.warmup=1,2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "sweep").iterdir() if p.is_dir()) == ["run.warmup=1", "run.warmup=2"]
    assert "pw9q" not in _everything(tmp_path / "sweep")


def test_a_run_folder_named_by_its_overrides_holds_no_secret(tmp_path):
    proc = run_cli("coral-run", "hydra.run.dir=out/${hydra.job.override_dirname}", "run.mode=validate",
                   f"services.web.token={TOKEN}", "run.warmup=3", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["run.mode=validate,run.warmup=3"]
    assert TOKEN not in _everything(tmp_path / "out")


def test_a_secret_named_variable_under_a_plain_key_never_shows(tmp_path):
    secret = "hunter3-Zq9-secret"
    for override in ("streams.cam.source=${oc.env:CAM_TOKEN}", "model.labels=${oc.env:CAM_TOKEN}",
                     "+x.token=${oc.env:CAM_TOKEN}"):
        run = tmp_path / override.split("=")[0].lstrip("+")
        proc = run_cli("coral-run", override, f"hydra.run.dir={run}", cwd=tmp_path, env={"CAM_TOKEN": secret})
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert secret not in _everything(run) + proc.stdout + proc.stderr, override


def test_a_custom_secret_key_from_the_command_line_applies_to_messages(tmp_path):
    secret = "hunter4-Zq9-secret"
    proc = run_cli("coral-run", "summary.secret_keys=[source]", "streams.cam.source=${oc.env:PLAIN_VAR}",
                   f"hydra.run.dir={tmp_path}/run", cwd=tmp_path, env={"PLAIN_VAR": secret})
    assert proc.returncode == 2 and "streams.cam.source" in proc.stderr
    assert secret not in _everything(tmp_path / "run") + proc.stdout + proc.stderr
