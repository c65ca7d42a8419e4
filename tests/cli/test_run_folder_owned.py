"""A run owns its folder (issue 24, item 4): summary.filename never names a file the run writes, a folder
with a finished run is refused unless summary.overwrite=true, a failing sink degrades the run. Real
coral-run processes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import cli_env, coral_file, run_cli
from coral_inference.errors import ConfigError
from coral_inference.files import RUN_FOLDER_NAMES, run_file_name
from media import write_video


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(RUN_FOLDER_NAMES[:-1]) | st.from_regex(r"[a-z]{1,8}\.log", fullmatch=True),
       st.sampled_from([str, str.upper]))
def test_summary_filename_never_names_a_file_the_run_writes(name, case):
    with pytest.raises(ConfigError) as err:
        run_file_name(case(name), "summary.filename")
    assert err.value.problems[0].key == "summary.filename"


def test_summary_filename_results_jsonl_is_exit_2_and_the_results_are_not_overwritten(tmp_path):
    video = write_video(tmp_path / "v.mp4", frames=3)
    proc = run_cli("coral-run", "run.mode=pipeline", f"run.source={video}", "summary.filename=results.jsonl",
                   f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert proc.returncode == 2 and "summary.filename" in proc.stderr, proc.stderr
    assert not (tmp_path / "run" / "results.jsonl").exists()  # the failure summary went to its own name
    assert json.loads((tmp_path / "run" / "runtime_summary.json").read_text())["status"] == "failed"


def test_a_folder_with_a_finished_run_is_refused_unless_overwrite(tmp_path):
    video = write_video(tmp_path / "v.mp4", frames=3)
    args = ("run.mode=pipeline", f"run.source={video}", f"hydra.run.dir={tmp_path}/run")
    first = run_cli("coral-run", *args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    results = (tmp_path / "run" / "results.jsonl").read_bytes()
    summary = (tmp_path / "run" / "runtime_summary.json").read_bytes()
    second = run_cli("coral-run", *args, cwd=tmp_path)
    assert second.returncode == 2 and "hydra.run.dir" in second.stderr and "finished run" in second.stderr
    assert "Traceback" not in second.stderr
    assert (tmp_path / "run" / "results.jsonl").read_bytes() == results
    assert (tmp_path / "run" / "runtime_summary.json").read_bytes() == summary
    third = run_cli("coral-run", *args, "summary.overwrite=true", cwd=tmp_path)
    assert third.returncode == 0, third.stderr


def test_a_mask_sink_that_cannot_write_degrades_the_run(tmp_path):
    deeplab, image = coral_file("deeplabv3_mnv2_dm05_pascal_quant.tflite"), coral_file("cat.bmp")
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.bmp").write_bytes(image.read_bytes())
    run = tmp_path / "run"
    (run / "masks").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (run / "masks" / "default").symlink_to(tmp_path / "elsewhere")  # one level below the checked names
    proc = run_cli("coral-run", "run.mode=pipeline", f"run.source={tmp_path}/imgs", f"model.path={deeplab}",
                   "run.mask_png=true", f"hydra.run.dir={run}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((run / "runtime_summary.json").read_text())
    assert summary["status"] == "degraded"
    assert "streams.default.sinks.masks" in summary["problems"]
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_runs_started_together_on_the_default_run_dir_each_get_a_folder(tmp_path):
    """The default hydra.run.dir has microseconds in it: three coral-run started at once (the same second,
    as a script's loop does) all run, each in its own folder (with Hydra's seconds the later ones were
    refused: the folder was in use or held a finished run)."""
    import subprocess

    from conftest import console_script

    env = cli_env()
    procs = [subprocess.Popen([console_script("coral-run"), "run.mode=validate"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outs]
    folders = sorted(p.parent for p in tmp_path.glob("outputs/*/*/runtime_summary.json"))
    assert len(folders) == 3, folders


@pytest.mark.parametrize("args", [("hydra.run.dir=",), ("hydra.run.dir=  ",), ("-m", "hydra.sweep.dir=", "run.warmup=1,2")])
def test_an_empty_run_folder_is_exit_2_and_nothing_lands_in_the_working_directory(tmp_path, args):
    """Hydra takes an empty hydra.run.dir as the working directory: the run's files would land among the user's."""
    proc = run_cli("coral-run", *args, cwd=tmp_path)
    key = "hydra.sweep.dir" if "-m" in args else "hydra.run.dir"
    assert proc.returncode == 2 and f"{key}: empty" in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == []
