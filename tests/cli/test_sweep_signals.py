"""Issue 15, signals in sweeps: SIGTERM / SIGINT during coral-run -m => no new job starts, the running
job's summary says it was interrupted, the report marks the jobs that did not run, exit 143 / 130,
and no launcher worker outlives the driver."""

import json
import os
import signal
import subprocess
import time

import pytest

from conftest import cli_env, console_script

LONG = "run.warmup=100000000"  # a job that runs until it is stopped


def _start(tmp_path, *args, marker=None):
    env = cli_env()
    env["SWEEP_SIGNAL_TEST"] = marker or str(tmp_path)
    return subprocess.Popen([console_script("coral-run"), "-m", "backends=cpu", "hydra.sweep.dir=sw", *args],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path, timeout=90):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _processes_with(marker):
    """Processes (other than zombies) whose environment holds the test's marker."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                if f"SWEEP_SIGNAL_TEST={marker}".encode() not in handle.read().split(b"\0"):
                    continue
            with open(f"/proc/{pid}/stat", "rb") as handle:
                if handle.read().rsplit(b")", 1)[1].split()[0] != b"Z":
                    out.append(int(pid))
        except OSError:
            continue
    return out


@pytest.mark.parametrize("signum,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_a_basic_sweep_and_the_report_marks_jobs_not_run(tmp_path, signum, code):
    proc = _start(tmp_path, f"run.warmup=100000000,1,2", "run.mode=init")
    _wait_for(tmp_path / "sw" / "0" / ".hydra")
    time.sleep(1.5)  # inside job 0 by now
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    summary = json.loads((tmp_path / "sw" / "0" / "runtime_summary.json").read_text())
    assert summary["status"] == "failed" and summary["error"]["exit_code"] == code
    assert "interrupted" in summary["error"]["message"]
    assert not (tmp_path / "sw" / "1").exists() and not (tmp_path / "sw" / "2").exists()  # no new job started
    report = json.loads((tmp_path / "sw" / "sweep_summary.json").read_text())
    assert [r["status"] for r in report["rows"]] == ["failed", "not run", "not run"]
    assert report["not_run"] == 2 and report["interrupted"] == signal.Signals(signum).name
    assert "run.warmup=2" in report["rows"][2]["overrides"]


def test_sigterm_stops_a_joblib_sweep_and_leaves_no_worker(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    marker = f"{tmp_path}-joblib"
    proc = _start(tmp_path, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                  f"run.warmup=100000000,100000001,1,2", marker=marker)
    _wait_for(tmp_path / "sw" / "0" / ".hydra")
    _wait_for(tmp_path / "sw" / "1" / ".hydra")
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 143, err
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with(marker) == []  # no loky worker outlives the driver
    report = json.loads((tmp_path / "sw" / "sweep_summary.json").read_text())
    statuses = {r["job"]: r["status"] for r in report["rows"]}
    assert statuses["0"] == statuses["1"] == "failed" and statuses["2"] == statuses["3"] == "not run"
    for job in ("0", "1"):
        summary = json.loads((tmp_path / "sw" / job / "runtime_summary.json").read_text())
        assert summary["error"]["exit_code"] == 143


def test_a_job_whose_run_mode_stopped_on_a_signal_stops_the_sweep_too():
    from coral_inference.cli import job

    saved = dict(job.LAST)
    try:
        job.LAST["summary"] = {"results": {"serve": {"stopped_by": "SIGTERM"}}}
        assert job.stopped_by_signal() == 143
        job.LAST["summary"] = {"results": {"pipeline": {"stopped_by": "SIGINT"}}}
        assert job.stopped_by_signal() == 130
        job.LAST["summary"] = {"results": {"pipeline": {"stopped_by": "end of source"}}}
        assert job.stopped_by_signal() is None
    finally:
        job.LAST.clear()
        job.LAST.update(saved)
