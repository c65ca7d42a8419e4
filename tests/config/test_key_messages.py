"""Issue 15, messages: each names the key (or the file) that is wrong, and a type error no longer hides
the other problems of the same configuration."""

from conftest import run_cli


def test_recording_fps_is_blamed_on_fps_not_codec(tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"")
    proc = run_cli("coral-run", "run.mode=pipeline", f"run.source={video}", "services=recording",
                   "services.recording.fps=-5", "hydra.run.dir=run", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "services.recording.fps" in proc.stderr and "services.recording.codec" not in proc.stderr


def test_an_unwritable_job_log_names_the_folder_and_hydra_run_dir(tmp_path):
    (tmp_path / "run" / "run.log").mkdir(parents=True)  # root may write anywhere: a folder where the log goes
    proc = run_cli("coral-run", "hydra.run.dir=run", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "hydra.run.dir" in proc.stderr and str(tmp_path / "run") in proc.stderr
    assert "Unable to configure handler" not in proc.stderr


def test_a_bad_value_in_a_users_platform_file_names_the_key_and_the_file(tmp_path):
    (tmp_path / "myconf" / "platform").mkdir(parents=True)
    (tmp_path / "myconf" / "platform" / "mine.yaml").write_text("device_root: [1, 2]\n")
    for cli, args in (("coral-run", ("run.mode=validate",)), ("coral-runtime", ("config", "validate"))):
        if cli == "coral-runtime":
            proc = run_cli(cli, *args, "--config-dir", "myconf", "platform=mine", cwd=tmp_path)
        else:
            proc = run_cli(cli, "--config-dir", "myconf", "platform=mine", *args, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "platform.device_root" in proc.stderr and "myconf/platform/mine.yaml" in proc.stderr


def test_a_type_error_does_not_hide_the_other_problems(tmp_path):
    proc = run_cli("coral-run", "run.warmup=abc", "run.mode=bogus", "+x.y=1", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "3 problems" in proc.stderr
    for key in ("run.warmup", "run.mode", "  - x: unknown key"):
        assert key in proc.stderr
    proc = run_cli("coral-runtime", "config", "validate", "--json", "run.warmup=abc", "services.metrics.batch_size=x",
                   "run.mode=bogus", cwd=tmp_path)
    import json

    keys = [p["key"] for p in json.loads(proc.stdout)["error"]["problems"]]
    assert proc.returncode == 2 and keys == ["run.warmup", "services.metrics.batch_size", "run.mode"]
