"""One deployment file for both CLIs: the documentation's own descriptor (docs/configuration.md) as coral-run's --config-dir/--config-name
and as coral-runtime's (and -c FILE); the same values and the same sources in the run's summary and in
`config explain`. Real subprocesses of both console scripts."""

from __future__ import annotations

import json
import re

import pytest

from conftest import REPO, run_cli, summaries

# Keeps the example runnable anywhere: the documented model files are placeholders.
MODEL = ["model.path=builtin:selftest", "model.cpu_path=null"]


def documented_descriptor() -> str:
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```yaml\n# myconf/deploy.yaml\n(.*?)```", text, flags=re.S)
    return block


@pytest.fixture
def myconf(tmp_path):
    (tmp_path / "myconf" / "platform").mkdir(parents=True)
    (tmp_path / "myconf" / "deploy.yaml").write_text(documented_descriptor())
    return tmp_path


def _explain(cwd, key, *args, env=None):
    proc = run_cli("coral-runtime", "config", "explain", key, "--json", *args, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    return {item["key"]: item for item in json.loads(proc.stdout)["values"]}


def test_the_documented_descriptor_runs_in_coral_run_with_the_sources_config_explain_shows(myconf):
    env = {"CORAL_RUN__WARMUP": "3"}
    proc = run_cli("coral-run", "--config-dir", "myconf", "--config-name", "deploy", "run.mode=validate", *MODEL,
                   cwd=myconf, env=env)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(myconf / "outputs")
    assert summary["choices"]["platform"] == "usb_accelerator" and summary["choices"]["backends"] == "edgetpu_single"
    assert summary["config"]["backends"]["edgetpu_single"]["devices"] == "usb:0"
    assert summary["sources"]["backends.edgetpu_single.fallback"][-1] == {"layer": "file",
                                                                         "source": "file myconf/deploy.yaml"}
    assert summary["sources"]["run.warmup"][-1]["source"] == "env CORAL_RUN__WARMUP"  # file < env
    for section in ("backends", "platform"):
        explained = _explain(myconf, section, "--config-dir", "myconf", "--config-name", "deploy", *MODEL, env=env)
        for key, item in explained.items():
            assert item["chain"] == summary["sources"][key], key
            assert item["value"] == _at(summary["config"], key), key
    run_keys = _explain(myconf, "run", "-cd", "myconf", "-cn", "deploy", *MODEL, env=env)
    assert run_keys["run.warmup"]["chain"] == summary["sources"]["run.warmup"]
    # -c FILE is the same layer with the same label
    assert _explain(myconf, "backends", "-c", "myconf/deploy.yaml", *MODEL) == _explain(
        myconf, "backends", "-cd", "myconf", "-cn", "deploy", *MODEL)


def _at(config, key):
    for part in key.split("."):
        config = config[part]
    return config


def test_coral_runtime_validate_and_init_take_the_config_dir_options(myconf):
    args = ["--config-dir", "myconf", "--config-name", "deploy"]
    proc = run_cli("coral-runtime", "config", "validate", *args, cwd=myconf)
    assert proc.returncode == 2  # the documented placeholder model files do not exist here
    assert "model.path: model file not found (value 'm_edgetpu.tflite'; from file myconf/deploy.yaml" in proc.stderr
    proc = run_cli("coral-runtime", "init", *args, *MODEL, "backends=cpu", "--json", cwd=myconf)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "ok" and summary["choices"]["platform"] == "usb_accelerator"
    assert summary["sources"]["model.path"][-2]["source"] == "file myconf/deploy.yaml"


def test_a_descriptor_selects_a_group_option_from_its_own_folder_in_both_clis(tmp_path):
    conf = tmp_path / "site"
    (conf / "platform").mkdir(parents=True)
    (conf / "platform" / "my_board.yaml").write_text("name: my_board\nedgetpu_types: []\nmax_devices: 0\n")
    (conf / "edge.yaml").write_text("platform: my_board\nbackends: cpu\nrun: {warmup: 2}\n")
    proc = run_cli("coral-run", "-cd", "site", "-cn", "edge", "run.mode=validate", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["choices"]["platform"] == "my_board" and summary["config"]["run"]["warmup"] == 2
    explained = _explain(tmp_path, "platform.name", "-cd", "site", "-cn", "edge")
    assert explained["platform.name"]["chain"] == summary["sources"]["platform.name"]
    assert explained["platform.name"]["source"] == "site/platform/my_board.yaml (selected by file site/edge.yaml)"


def test_a_hydra_primary_config_reads_the_same_in_coral_runtime(tmp_path):
    (tmp_path / "myconf").mkdir()
    (tmp_path / "myconf" / "site.yaml").write_text("defaults:\n  - config\n  - override backends: cpu\n"
                                                   "  - _self_\nrun: {warmup: 5}\n")
    explained = _explain(tmp_path, "run.warmup", "--config-dir", "myconf", "--config-name", "site")
    assert explained["run.warmup"]["value"] == 5
    assert explained["run.warmup"]["chain"][-1] == {"layer": "file", "source": "myconf/site.yaml"}


def test_a_bad_descriptor_is_exit_2_naming_key_file_and_expectation_in_both_clis(tmp_path):
    (tmp_path / "myconf").mkdir()
    (tmp_path / "myconf" / "bad.yaml").write_text("backends: cpu\nrun: {warmpu: 3}\n")
    for cli, args in (("coral-run", []), ("coral-runtime", ["config", "validate"])):
        proc = run_cli(cli, *args, "--config-dir", "myconf", "--config-name", "bad", cwd=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert "run.warmpu: unknown key; did you mean 'run.warmup'? (value 3; from file myconf/bad.yaml" in proc.stderr


def test_config_init_writes_the_file_coral_run_reads(tmp_path):
    proc = run_cli("coral-runtime", "config", "init", "--platform", "cpu", "-cd", "myconf", "-cn", "edge", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "coral-run --config-dir myconf --config-name edge" in (tmp_path / "myconf" / "edge.yaml").read_text()
    proc = run_cli("coral-run", "-cd", "myconf", "-cn", "edge", "run.mode=validate", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["sources"]["platform.name"][-1]["source"].endswith("(selected by file myconf/edge.yaml)")


def test_the_readme_multi_camera_example_validates_and_runs_with_its_models(tmp_path):
    """The README's site.yaml, with the real Coral models it names and two local videos for its cameras:
    `config validate` says ok for every model, and coral-run runs both streams on their own models."""
    from conftest import coral_file
    from media import write_video

    text = (REPO / "README.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```yaml\n# site.yaml\n(.*?)```", text, flags=re.S)
    block = re.sub(r"[\w.]+\.(?:tflite|txt)", lambda m: str(coral_file(m.group(0))), block)
    sources = re.findall(r'source: "(rtsp://[^"]+)"', block)
    assert len(sources) == 2
    for i, url in enumerate(sources):
        video = tmp_path / f"cam{i}.mp4"
        write_video(video, frames=5)
        block = block.replace(f'"{url}"', f'"{video}"')
    (tmp_path / "site.yaml").write_text(block)
    proc = run_cli("coral-runtime", "config", "validate", "-c", "site.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "models.pose.task: pose" in proc.stdout and "models.birds.task: classification" in proc.stdout
    proc = run_cli("coral-run", "--config-dir", ".", "--config-name", "site", "run.mode=pipeline", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    streams = summary["results"]["pipeline"]["streams"]
    assert {n: (s["status"], s["model"], s["frames"]) for n, s in streams.items()} == {
        "front": ("finished", "pose", 5), "feeder": ("finished", "birds", 5)}


def test_the_from_frigate_example_validates(tmp_path):
    """docs/from-frigate.md's site.yaml (Frigate's config mapped to ours) is a valid configuration: every key
    it maps to exists and takes the value shown (the SSD it names is swapped for Coral's MoveNet, whose poses
    are tracked as `person`, and the camera for a local video)."""
    from conftest import coral_file
    from media import write_video

    text = (REPO / "docs" / "from-frigate.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```yaml\n# site.yaml[^\n]*\n(.*?)```", text, flags=re.S)
    pose, twin = (coral_file(f"movenet_single_pose_lightning_ptq{s}.tflite") for s in ("_edgetpu", ""))
    block = re.sub(r"^model: \{.*?\}\n", f"model: {{path: {pose}, cpu_path: {twin}}}\n", block, flags=re.S | re.M)
    video = write_video(tmp_path / "driveway.mp4", frames=5)
    block = re.sub(r'source: "rtsp://[^"]+"', f'source: "{video}"', block)
    assert "movenet" in block and "rtsp://" not in block
    (tmp_path / "site.yaml").write_text(block)
    proc = run_cli("coral-runtime", "config", "validate", "-c", "site.yaml", cwd=tmp_path,
                   env={"CORAL_MQTT_PASSWORD": "x", "CAM_PASS": "y"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
