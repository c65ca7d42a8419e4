"""Files the product writes stay in their run or recording folder, never follow a symlink they did not
make, never replace a file they did not create, are written atomically; two runs never share a folder;
sweep reports are replaced as a set (issue #15)."""

import json
import os
import subprocess
import time

import pytest

from conftest import console_script, run_cli

from coral_inference import files as F


@pytest.mark.parametrize("name", ["../x.json", "/tmp/notes.txt", "", ".hydra", "..", "a/b"])
def test_summary_filename_must_be_a_plain_name(tmp_path, name):
    proc = run_cli("coral-run", "hydra.run.dir=run", "run.mode=validate", f"summary.filename={name}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "summary.filename" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.json").exists()
    # the failed run's summary is still written, under the default name, inside the run folder
    assert json.loads((tmp_path / "run" / "runtime_summary.json").read_text())["status"] == "failed"


@pytest.mark.parametrize("planted", [".hydra/config.yaml", "results.jsonl", "runtime_summary.json", "run.log"])
def test_a_symlink_planted_in_the_run_folder_is_refused_not_followed(tmp_path, planted):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    link = tmp_path / "run" / planted
    link.parent.mkdir(parents=True)
    link.symlink_to(victim)
    proc = run_cli("coral-run", "hydra.run.dir=run", "run.mode=validate", cwd=tmp_path)
    assert proc.returncode == 2 and planted in proc.stderr and "hydra.run.dir" in proc.stderr, proc.stderr
    assert victim.read_text() == "keep"


def test_two_runs_sharing_one_run_folder_are_refused(tmp_path):
    first = subprocess.Popen([console_script("coral-run"), "hydra.run.dir=run", "backends=cpu", "run.mode=bench",
                              "run.min_seconds=20", "run.iterations=1"], cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while not (tmp_path / "run" / ".hydra" / "config.yaml").exists() and time.time() < deadline:
            time.sleep(0.1)
        proc = run_cli("coral-run", "hydra.run.dir=run", "run.mode=validate", cwd=tmp_path)
        assert proc.returncode == 2 and "in use by another coral-run" in proc.stderr, proc.stderr
    finally:
        first.terminate()
        first.communicate(timeout=60)
    proc = run_cli("coral-run", "hydra.run.dir=run", "run.mode=validate", cwd=tmp_path)
    assert proc.returncode == 2 and "holds a finished run" in proc.stderr, proc.stderr  # the stopped run's summary
    proc = run_cli("coral-run", "hydra.run.dir=run", "run.mode=validate", "summary.overwrite=true", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr  # the lock went with the first run


def test_config_init_output_refuses_a_dangling_link(tmp_path):
    (tmp_path / "link.yaml").symlink_to(tmp_path / "nowhere" / "x.yaml")
    for extra in ([], ["--force"]):
        proc = run_cli("coral-runtime", "config", "init", "--output", "link.yaml", *extra, cwd=tmp_path)
        assert proc.returncode == 2 and "symbolic link" in proc.stderr
    assert not (tmp_path / "nowhere").exists()


def test_recording_never_replaces_a_segment_already_there(tmp_path):
    import numpy as np

    from coral_inference.services.recording import Recorder

    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "segment_00000.mp4").write_bytes(b"the user's own video")
    (folder / "segment_00001.mp4").symlink_to(tmp_path / "victim.mp4")
    recorder = Recorder(folder, fps=10, segment_s=0.2, retain=10, codec="mp4v")
    frame = np.zeros((32, 32, 3), np.uint8)
    for _ in range(5):
        recorder.write(frame)
    report = recorder.close()
    assert (folder / "segment_00000.mp4").read_bytes() == b"the user's own video"
    assert not (tmp_path / "victim.mp4").exists()
    written = [os.path.basename(s["file"]) for s in report["kept"]]
    assert written and "segment_00000.mp4" not in written and "segment_00001.mp4" not in written


def test_atomic_writes_refuse_links_and_keep_strict_json(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / "out.json").symlink_to(victim)
    with pytest.raises(F.FileProblem, match="symbolic link"):
        F.write_json_atomic(tmp_path / "out.json", {"a": 1})
    with pytest.raises(F.FileProblem, match="symbolic link"):
        F.open_for_write(tmp_path / "out.json", "results", replace=True)
    assert victim.read_text() == "keep"
    F.write_json_atomic(tmp_path / "ok.json", {"x": float("nan")})
    assert json.loads((tmp_path / "ok.json").read_text()) == {"x": "NaN"}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_reports_are_replaced_as_a_set(tmp_path):
    paths = [tmp_path / f"r.{ext}" for ext in ("json", "csv", "md")]
    F.write_set_atomic({p: "old" for p in paths})
    paths[2].unlink()
    paths[2].mkdir()  # the last one cannot be replaced: none is
    with pytest.raises(F.FileProblem):
        F.write_set_atomic({p: "new" for p in paths})
    assert [p.read_text() for p in paths[:2]] == ["old", "old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.json", "r.md"]


def test_nan_in_the_config_keeps_the_summary_strict_json_and_auditable(tmp_path):
    proc = run_cli("coral-run", "hydra.run.dir=run", "run.mode=validate", "run.score_threshold=nan", cwd=tmp_path)
    assert proc.returncode == 2 and "run.score_threshold" in proc.stderr
    text = (tmp_path / "run" / "runtime_summary.json").read_text()
    summary = json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c} in the summary"))
    assert summary["config"]["run"]["score_threshold"] == "NaN"
    proc = run_cli("coral-runtime", "audit", "verify", str(tmp_path / "run"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("override", ["hydra.job.name=../../escape", "hydra.output_subdir=../escape"])
def test_hydra_names_that_leave_the_run_folder_are_refused(tmp_path, override):
    proc = run_cli("coral-run", "hydra.run.dir=a/run", "run.mode=validate", override, cwd=tmp_path)
    assert proc.returncode == 2 and override.partition("=")[0] in proc.stderr, proc.stderr
    assert not any(p.name.startswith("escape") for p in tmp_path.rglob("*"))


def test_a_sweep_job_log_planted_as_a_link_is_refused(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (tmp_path / "sw" / "0").mkdir(parents=True)
    (tmp_path / "sw" / "0" / "run.log").symlink_to(victim)
    proc = run_cli("coral-run", "-m", "hydra.sweep.dir=sw", "run.mode=validate", "run.warmup=1,2", cwd=tmp_path)
    assert proc.returncode == 2 and "run.log" in proc.stderr and "symbolic link" in proc.stderr, proc.stderr
    assert victim.read_text() == "keep"


def test_sweep_report_plot_and_init_summary_refuse_links(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    job = tmp_path / "sweep" / "0"
    job.mkdir(parents=True)
    (job / "runtime_summary.json").write_text('{"status": "ok"}')
    (tmp_path / "plot.png").symlink_to(victim)
    proc = run_cli("coral-runtime", "sweep", "report", "sweep", "--plot", "plot.png", cwd=tmp_path)
    assert proc.returncode == 2 and "--plot" in proc.stderr and "symbolic link" in proc.stderr, proc.stderr
    assert (tmp_path / "sweep" / "sweep_summary.json").is_file()
    (tmp_path / "s.json").symlink_to(victim)
    proc = run_cli("coral-runtime", "init", "backends=cpu", "--summary", "s.json", cwd=tmp_path)
    assert proc.returncode == 2 and "symbolic link" in proc.stderr, proc.stderr
    assert victim.read_text() == "keep"
