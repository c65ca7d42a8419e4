"""Multirun sweeps through the installed coral-run: job summaries, the sweep report, launchers."""

import csv
import json
import shutil

import pytest

from conftest import run_cli

SWEEP = ("backends=cpu,auto,edgetpu_single", "run.mode=bench", "run.iterations=20")
EXPECTED = {"cpu": "ok", "auto": "ok", "edgetpu_single": "failed"}


def sweep_dir(root):
    [found] = [p.parent for p in (root / "multirun").rglob("multirun.yaml")]
    return found


def run_sweep(tmp_path, *extra, timeout=300):
    proc = run_cli("coral-run", "-m", *SWEEP, *extra, cwd=tmp_path, timeout=timeout)
    assert proc.returncode == 1, proc.stderr  # one job failed, the others ran
    assert "1 of 3 sweep jobs failed" in proc.stderr
    return sweep_dir(tmp_path)


def check_report(folder):
    """Three job summaries and the three sweep files, rows matching the jobs."""
    jobs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert [p.name for p in jobs] == ["0", "1", "2"]
    summaries = {p.name: json.loads((p / "runtime_summary.json").read_text()) for p in jobs}
    report = json.loads((folder / "sweep_summary.json").read_text())
    assert report["jobs"] == 3 and report["failed"] == 1
    rows = {r["job"]: r for r in report["rows"]}
    for job, summary in summaries.items():
        row = rows[job]
        assert row["overrides"] == summary["overrides"] and row["choices"] == summary["choices"]
        assert row["status"] == summary["status"] == EXPECTED[row["choices"]["backends"]]
        if row["status"] == "ok":
            timed = summary["backends"][0]["benchmark"]["timed"]
            assert row["throughput_ips"] == timed["throughput_ips"] > 0 and row["p99_ms"] == timed["p99_ms"]
            assert row["error"] is None and row["exit_code"] == 0
        else:
            assert row["exit_code"] == 3 and "expected 1 Edge TPU" in row["error"]
            assert row["throughput_ips"] is None
    with open(folder / "sweep_summary.csv", newline="") as handle:
        csv_rows = {r["job"]: r for r in csv.DictReader(handle)}
    assert set(csv_rows) == set(rows)
    for job, row in rows.items():
        assert csv_rows[job]["status"] == row["status"]
        assert csv_rows[job]["choice.backends"] == row["choices"]["backends"]
        assert csv_rows[job]["overrides"] == " ".join(row["overrides"])
    md = (folder / "sweep_summary.md").read_text()
    assert md.count("\n| ") == 4  # header + 3 rows
    assert "expected 1 Edge TPU" in md
    return report


def test_basic_launcher_sweep_reports_every_job(tmp_path):
    check_report(run_sweep(tmp_path))


def test_joblib_launcher_sweep_reports_every_job(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    check_report(run_sweep(tmp_path, "hydra/launcher=joblib"))


@pytest.mark.ray
def test_ray_local_cluster_sweep_with_an_edgetpu_resource(tmp_path):
    pytest.importorskip("ray")
    pytest.importorskip("hydra_plugins.hydra_ray_launcher")
    folder = run_sweep(tmp_path, "hydra/launcher=ray", "+hydra.launcher.ray.init.include_dashboard=false",
                       "+hydra.launcher.ray.init.num_cpus=2", "+hydra.launcher.ray.init.resources={edgetpu:1}",
                       "hydra.launcher.ray.remote.resources={edgetpu:1}", timeout=600)
    report = check_report(folder)
    # One edgetpu resource on the node: jobs asking for it ran one after the other, never together.
    found = [json.loads((folder / r["job"] / "runtime_summary.json").read_text()) for r in report["rows"]]
    spans = sorted((s["started_at"], s["finished_at"]) for s in found)
    assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:]))


def test_report_rebuilt_from_a_folder_counts_a_job_without_summary_as_failed(tmp_path):
    folder = run_sweep(tmp_path)
    for name in ("sweep_summary.json", "sweep_summary.csv", "sweep_summary.md"):
        (folder / name).unlink()
    (folder / "0" / "runtime_summary.json").unlink()  # as if job 0 had been killed
    proc = run_cli("coral-runtime", "sweep", "report", str(folder), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report == json.loads((folder / "sweep_summary.json").read_text())
    assert (folder / "sweep_summary.csv").is_file() and (folder / "sweep_summary.md").is_file()
    rows = {r["job"]: r for r in report["rows"]}
    assert report["failed"] == 2
    assert rows["0"]["status"] == "failed" and "no runtime_summary.json" in rows["0"]["error"]
    assert rows["0"]["overrides"] == ["backends=cpu", "run.mode=bench", "run.iterations=20"]  # from .hydra/
    assert rows["0"]["choices"]["backends"] == "cpu"
    assert rows["1"]["status"] == "ok"


def test_report_plot_is_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    folder = run_sweep(tmp_path)
    png = tmp_path / "chart.png"
    proc = run_cli("coral-runtime", "sweep", "report", str(folder), "--plot", str(png), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert f"plot: {png}" in proc.stdout and "| 2 | failed |" in proc.stdout


def test_plot_without_matplotlib_says_how_to_get_it(tmp_path):
    folder = run_sweep(tmp_path)
    blocker = tmp_path / "no_matplotlib" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('No module named matplotlib (hidden by the test)')\n")
    proc = run_cli("coral-runtime", "sweep", "report", str(folder), "--plot", str(tmp_path / "c.png"),
                   cwd=tmp_path, env={"PYTHONPATH": str(blocker.parent)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "coral_inference[plot]" in proc.stderr and not (tmp_path / "c.png").exists()
    assert (folder / "sweep_summary.md").is_file()


def test_report_of_a_missing_folder_exits_2(tmp_path):
    proc = run_cli("coral-runtime", "sweep", "report", str(tmp_path / "nope"), cwd=tmp_path)
    assert proc.returncode == 2 and "is not a folder" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("launcher,key,value", [("joblib", "n_jobs", 2), ("ray", "ray.remote.num_cpus", 1)])
def test_launcher_group_selects_our_preset(compose, launcher, key, value):
    """conf/ comes before the plugins' own presets in Hydra's search path: ours is chosen."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_module
    from omegaconf import OmegaConf

    from coral_inference import CONF_MODULE, HYDRA_VERSION_BASE

    compose()  # registers the schema
    with initialize_config_module(CONF_MODULE, version_base=HYDRA_VERSION_BASE):
        cfg = hydra_compose("config", overrides=[f"hydra/launcher={launcher}"], return_hydra_config=True)
    assert OmegaConf.select(cfg, f"hydra.launcher.{key}") == value  # the plugins' defaults: -1 / absent
    assert cfg.hydra.launcher._target_.startswith(f"hydra_plugins.hydra_{launcher}_launcher.")


def test_a_launcher_without_its_plugin_says_which_extra_to_install(tmp_path):
    # Shadow the installed plugin with one that cannot be imported (as if it were not installed).
    hidden = tmp_path / "hide" / "hydra_plugins" / "hydra_joblib_launcher"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('hydra_joblib_launcher hidden by the test')\n")
    proc = run_cli("coral-run", "-m", "backends=cpu,auto", "hydra/launcher=joblib", cwd=tmp_path,
                   env={"PYTHONPATH": str(hidden.parent.parent)})
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "pip install 'coral_inference[joblib]'" in proc.stderr


def test_a_folder_without_job_folders_exits_2_and_writes_nothing(tmp_path):
    """The date folder one level too high (multirun/<date>) or any other folder: its subfolders are not jobs."""
    date_dir = tmp_path / "multirun" / "2026-11-28"
    (date_dir / "10-00-00" / "0" / ".hydra").mkdir(parents=True)
    (tmp_path / "images").mkdir()
    for folder in (date_dir, tmp_path / "images"):
        proc = run_cli("coral-runtime", "sweep", "report", str(folder), cwd=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert "no job folders" in proc.stderr and "multirun/<date>/<time>" in proc.stderr
        assert not list(folder.glob("sweep_summary.*"))


def test_only_job_folders_become_rows(tmp_path):
    from coral_inference.sweep.report import build_report

    for name in ("0", "1", "recordings", "named_job"):
        (tmp_path / name).mkdir()
    (tmp_path / "named_job" / ".hydra").mkdir()  # hydra.sweep.subdir=<name>: recognised by Hydra's record
    assert [r["job"] for r in build_report(tmp_path)["rows"]] == ["0", "1", "named_job"]


def test_a_plot_or_report_that_cannot_be_written_exits_2_without_traceback(tmp_path):
    pytest.importorskip("matplotlib")
    folder = tmp_path / "sweep"
    (folder / "0").mkdir(parents=True)
    (tmp_path / "file").write_text("")
    proc = run_cli("coral-runtime", "sweep", "report", str(folder), "--plot", str(tmp_path / "file" / "c.png"),
                   cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--plot" in proc.stderr and "c.png" in proc.stderr and (folder / "sweep_summary.md").is_file()
    (folder / "sweep_summary.json").unlink()
    (folder / "sweep_summary.json").mkdir()  # cannot be replaced by a file, even by root
    proc = run_cli("coral-runtime", "sweep", "report", str(folder), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "cannot write the report" in proc.stderr


def test_markdown_errors_keep_the_whole_message(tmp_path):
    from coral_inference.sweep.report import to_markdown

    message = "Invalid configuration: 1 problem\n  - model.path: model file not found (value '/x.tflite')"
    row = {"job": "1", "dir": "d", "overrides": [], "choices": {}, "status": "failed", "exit_code": 2,
           "error": message, "backend": None, "device": None}
    md = to_markdown({"sweep_dir": "d", "jobs": 1, "failed": 1, "generated_at": "now", "rows": [row]})
    assert "- job 1: Invalid configuration: 1 problem - model.path: model file not found (value '/x.tflite')" in md
