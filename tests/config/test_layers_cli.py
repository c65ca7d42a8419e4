"""Layer precedence through the installed console scripts: one tiny test per adjacent pair, in
both CLIs (coral-run: the file layer is a --config-dir/--config-name primary config; coral-runtime:
-c FILE). The plugin layer comes from a generated plugin distribution on PYTHONPATH."""

import json

import pytest

from conftest import run_cli, summaries

DEPLOY = """\
defaults:
  - config
  - override backends: cpu
  - _self_
run:
  warmup: 5
"""


def _runtime_warmup(tmp_path, *args, env=None):
    proc = run_cli("coral-runtime", "config", "explain", "run.warmup", "--json", *args, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    [item] = json.loads(proc.stdout)["values"]
    return item["value"], item["source"]


def _coral_run(tmp_path, *args, env=None):
    proc = run_cli("coral-run", "run.mode=validate", *args, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    return summary


@pytest.fixture
def deploy(tmp_path):
    (tmp_path / "myconf").mkdir()
    (tmp_path / "myconf" / "deploy.yaml").write_text(DEPLOY)
    (tmp_path / "d.yaml").write_text("backends: cpu\nrun:\n  warmup: 5\n")
    return tmp_path


def test_runtime_defaults_below_file(deploy):
    assert _runtime_warmup(deploy) == (1, "conf/config.yaml")
    assert _runtime_warmup(deploy, "-c", "d.yaml") == (5, "file d.yaml")


def test_runtime_file_below_env(deploy):
    assert _runtime_warmup(deploy, "-c", "d.yaml", env={"CORAL_RUN__WARMUP": "7"}) == (7, "env CORAL_RUN__WARMUP")


def test_runtime_env_below_cli_and_set(deploy):
    env = {"CORAL_RUN__WARMUP": "7"}
    assert _runtime_warmup(deploy, "run.warmup=9", env=env) == (9, "command line")
    assert _runtime_warmup(deploy, "--set", "run.warmup=8", env=env) == (8, "command line")
    assert _runtime_warmup(deploy, "--no-env", env=env) == (1, "conf/config.yaml")


def test_coral_run_defaults_below_file(deploy):
    summary = _coral_run(deploy, "--config-dir", "myconf", "--config-name", "deploy")
    assert summary["config"]["run"]["warmup"] == 5 and summary["choices"]["backends"] == "cpu"
    assert summary["sources"]["run.warmup"][-1] == {"layer": "file", "source": "myconf/deploy.yaml"}
    assert summary["sources"]["run.warmup"][-2]["source"] == "conf/config.yaml"


def test_coral_run_file_below_env(deploy):
    env = {"CORAL_RUN__WARMUP": "7", "CORAL_BACKENDS": "auto"}
    summary = _coral_run(deploy, "--config-dir", "myconf", "--config-name", "deploy", env=env)
    assert summary["config"]["run"]["warmup"] == 7 and summary["choices"]["backends"] == "auto"
    assert summary["sources"]["run.warmup"][-1]["source"] == "env CORAL_RUN__WARMUP"


def test_coral_run_env_below_cli(deploy):
    env = {"CORAL_RUN__WARMUP": "7", "CORAL_BACKENDS": "auto"}
    summary = _coral_run(deploy, "run.warmup=9", "backends=cpu", env=env)
    assert summary["config"]["run"]["warmup"] == 9 and summary["choices"]["backends"] == "cpu"
    assert [e["source"] for e in summary["sources"]["run.warmup"]][-2:] == ["env CORAL_RUN__WARMUP", "command line"]
    assert summary["argv"][1:] == ["run.mode=validate", "run.warmup=9", "backends=cpu"]  # what the user typed


def test_coral_run_env_before_user_overrides_with_hydra_flags(deploy):
    proc = run_cli("coral-run", "--cfg", "job", "-p", "run", "run.warmup=9", cwd=deploy,
                   env={"CORAL_RUN__WARMUP": "7", "CORAL_RUN__TOP_K": "4"})
    assert proc.returncode == 0, proc.stderr
    assert "warmup: 9" in proc.stdout and "top_k: 4" in proc.stdout


def test_coral_run_sweep_over_env_selection(deploy):
    proc = run_cli("coral-run", "-m", "backends=cpu,auto", "run.mode=validate", cwd=deploy,
                   env={"CORAL_BACKENDS": "edgetpu_multi"})
    assert proc.returncode == 0, proc.stderr
    assert sorted(s["choices"]["backends"] for s in summaries(deploy / "multirun")) == ["auto", "cpu"]


def test_coral_run_bad_env_value_exits_2_naming_the_variable(tmp_path):
    proc = run_cli("coral-run", cwd=tmp_path, env={"CORAL_BACKENDS__CPU__NUM_THREADS": "many"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "CORAL_BACKENDS__CPU__NUM_THREADS" in proc.stderr and "'many'" in proc.stderr


def test_coral_run_unknown_env_name_warns_and_strict_fails(tmp_path):
    env = {"CORAL_BACKENDS__CPU__NUM_THRAEDS": "2"}
    proc = run_cli("coral-run", "run.mode=validate", cwd=tmp_path, env=env)
    assert proc.returncode == 0 and "did you mean 'CORAL_BACKENDS__CPU__NUM_THREADS'" in proc.stderr
    proc = run_cli("coral-run", "run.mode=validate", cwd=tmp_path, env={**env, "CORAL_STRICT": "1"})
    assert proc.returncode == 2


def test_coral_run_unknown_group_option_from_env_names_the_variable(tmp_path):
    proc = run_cli("coral-run", cwd=tmp_path, env={"CORAL_BACKENDS": "edgetpu_mult"})
    assert proc.returncode == 2 and "CORAL_BACKENDS -> backends=edgetpu_mult" in proc.stderr


def test_coral_run_env_secret_stays_out_of_hydra_records(tmp_path):
    proc = run_cli("coral-run", "run.mode=validate", cwd=tmp_path,
                   env={"CORAL_SERVICES__METRICS__TOKEN": "tok-8d1f77"})
    assert proc.returncode == 0, proc.stderr
    files = [p for p in (tmp_path / "outputs").rglob("*") if p.is_file()]
    assert files and not [p for p in files if "tok-8d1f77" in p.read_text()]


def test_coral_run_plus_unknown_key_exits_2(tmp_path):
    proc = run_cli("coral-run", "+backends.cpu.num_thread=2", cwd=tmp_path)
    assert proc.returncode == 2 and "did you mean 'backends.cpu.num_threads'" in proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "failed" and summary["error"]["problems"][0]["source"] == "command line"


def test_composition_errors_read_the_same_in_both_clis(tmp_path):
    args = ["--cfg", "job", "backends.cpu.workers=two"]
    run = run_cli("coral-run", *args, cwd=tmp_path, env={"CORAL_BACKENDS": "cpu"})
    runtime = run_cli("coral-runtime", "config", "validate", *args[2:], cwd=tmp_path, env={"CORAL_BACKENDS": "cpu"})
    assert run.returncode == runtime.returncode == 2 and "Traceback" not in run.stderr
    problem = "backends.cpu.workers=two from command line; expected an integer"
    assert problem in run.stderr and problem in runtime.stderr
    bad = run_cli("coral-run", "--cfg", "job", cwd=tmp_path, env={"CORAL_PLATFORM": "coral_devbord"})
    assert bad.returncode == 2 and "from platform=coral_devbord from env CORAL_PLATFORM; expected one of auto," in bad.stderr


def test_a_composition_error_inside_a_config_file_names_key_file_and_expectation(tmp_path):
    (tmp_path / "myconf").mkdir()
    (tmp_path / "myconf" / "site.yaml").write_text("defaults:\n  - config\n  - _self_\nrun:\n  warmup: sprint\n")
    proc = run_cli("coral-run", "--config-dir", "myconf", "--config-name", "site", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "  - run.warmup: " in proc.stderr and "'sprint'" in proc.stderr
    assert "from config 'site'" in proc.stderr and "expected an integer" in proc.stderr
    # run.mode is checked against the registry's modes (runtime/modes.py), naming the file
    (tmp_path / "myconf" / "site.yaml").write_text("defaults:\n  - config\n  - _self_\nrun:\n  mode: sprint\n")
    proc = run_cli("coral-run", "--config-dir", "myconf", "--config-name", "site", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "  - run.mode: no run mode 'sprint'" in proc.stderr and "from myconf/site.yaml" in proc.stderr
    assert "expected one of init | validate | bench | pipeline | serve" in proc.stderr


def test_a_missing_config_dir_is_said_without_a_wrong_expectation(tmp_path):
    proc = run_cli("coral-run", "--config-dir", "nope", cwd=tmp_path)
    assert proc.returncode == 2 and "Additional config directory" in proc.stderr and "nope" in proc.stderr
    assert "expected" not in proc.stderr  # no 'expected a known group option, key and type' for a folder


def test_user_overrides_skip_hydra_flags_and_their_values():
    from coral_inference.cli.run import user_overrides

    argv = ["coral-run", "-cd", "myconf", "--cfg", "job", "a=1", "--info", "defaults", "~b", "-m", "c=1,2"]
    assert user_overrides(argv) == ["a=1", "~b", "c=1,2"]


def _filler(tmp_path):
    from plugin_dists import write_overrides_plugin

    # a plugin may set only its own keys: a plugin named like the patch opencv_threads sets
    # patches.opencv_threads (conf/patches/default.yaml sets it too) and its own plugins.config.<name>.level
    write_overrides_plugin(tmp_path / "filler", {"plugins.config.opencv_threads.level": 7,
                                                 "patches.opencv_threads": False}, name="opencv_threads")
    return {"PYTHONPATH": str(tmp_path / "filler")}


def test_pair_plugin_below_defaults_coral_runtime(tmp_path):
    env = _filler(tmp_path)
    got = {}
    for key in ("plugins.config", "patches"):
        proc = run_cli("coral-runtime", "config", "explain", key, "--json", cwd=tmp_path, env=env)
        assert proc.returncode == 0, proc.stderr
        got.update({v["key"]: v for v in json.loads(proc.stdout)["values"]})
    level, patch = got["plugins.config.opencv_threads.level"], got["patches.opencv_threads"]
    assert level["value"] == 7  # nothing else sets it: the plugin fills it
    assert level["source"] == "plugin opencv_threads (default_config_overrides)"
    assert patch["value"] is True  # conf/patches/default.yaml sets it: the plugin loses
    assert [e["layer"] for e in patch["chain"]] == ["plugin", "defaults"]


def test_pair_plugin_below_defaults_coral_run(tmp_path):
    summary = _coral_run(tmp_path, env=_filler(tmp_path))
    assert summary["config"]["plugins"]["config"]["opencv_threads"]["level"] == 7
    assert summary["config"]["patches"]["opencv_threads"] is True
    assert summary["sources"]["plugins.config.opencv_threads.level"][-1] == {
        "layer": "plugin", "source": "plugin opencv_threads (default_config_overrides)"}
    assert summary["sources"]["patches.opencv_threads"][-1]["source"].startswith("conf/patches/default.yaml")
