"""The plugin story end to end, in subprocesses of the installed console scripts: the example package
really pip-installed (into a target folder on PYTHONPATH), generated dist-infos for the failure cases,
the plugin defaults layer, and no discovery at import."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, run_cli, summaries
from plugin_dists import EXPECTED_STATUS, write_cases, write_dist, write_overrides_plugin

EXAMPLE = REPO / "examples" / "coral-plugin-example"


@pytest.fixture(scope="module")
def example_site(tmp_path_factory):
    """examples/coral-plugin-example, pip-installed (no deps, no build isolation: nothing downloads)."""
    target = tmp_path_factory.mktemp("site")
    # Built from a copy: setuptools writes build/ and *.egg-info beside the sources, and a stale build/lib
    # in the checkout would ship files the example no longer has.
    source = tmp_path_factory.mktemp("example") / EXAMPLE.name
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    before = sorted(p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*"))
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*")) == before  # the checkout is untouched
    assert (target / "coral_plugin_example-0.1.0.dist-info" / "entry_points.txt").is_file()
    return target


def pythonpath(*roots) -> dict:
    return {"PYTHONPATH": ":".join(str(r) for r in roots)}


def test_the_example_sink_and_run_mode_through_coral_run(tmp_path, example_site):
    from media import write_video

    video = write_video(tmp_path / "clip.mp4", frames=5)
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={video}",
                   "streams.default.sinks.example_labels=true", "hydra.run.dir=run", cwd=tmp_path,
                   env=pythonpath(example_site))
    assert proc.returncode == 0, proc.stderr
    stream = summaries(tmp_path / "run")[0]["results"]["pipeline"]["streams"]["default"]
    report = stream["sinks"]["example_labels"]
    # the sink saw what the results sink wrote: every prediction's label (else its class), most frequent first
    counts: dict = {}
    for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines():
        for p in json.loads(line)["predictions"]:
            counts[str(p["label"] or p["class"])] = counts.get(str(p["label"] or p["class"]), 0) + 1
    assert report["results"] == 5 and sum(counts.values()) >= 5, report  # the selftest classifies
    assert list(report["labels"].items()) == sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert stream["sink_writes"]["example_labels"]["written"] == 5
    proc = run_cli("coral-run", "run.mode=example_probe", "backends=example_cpu", "hydra.run.dir=probe",
                   cwd=tmp_path, env=pythonpath(example_site))
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "probe")
    assert summary["results"]["example_probe"] == {"backends": {"example_cpu": {"outputs": [[1, 4]]}}}


def test_installed_example_backend_is_selectable_and_runs(tmp_path, example_site):
    proc = run_cli("coral-run", "backends=example_cpu", cwd=tmp_path, env=pythonpath(example_site))
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "ok" and summary["choices"]["backends"] == "example_cpu"
    [backend] = summary["backends"]
    assert backend["kind"] == "example_cpu" and backend["device"] == "cpu" and backend["selfcheck"]["passed"]
    assert summary["plugins"]["loaded"] == {"example_cpu": True, "example_patch": True, "example_top1": True,
                                            "example_extras": True, "example_hello": True}
    details = {d["name"]: d for d in summary["plugins"]["details"]}
    assert details["example_cpu"]["distribution"] == {"name": "coral-plugin-example", "version": "0.1.0"}
    assert details["example_cpu"]["group"] == "coral_inference.backends"
    assert isinstance(details["example_patch"]["activate_ms"], float)
    # the patch plugin's patch came from the run's registry and is on through its default_config_overrides
    patch = next(p for p in summary["patches"] if p["name"] == "example_patch")
    assert patch["enabled"] is True and patch["source"] == "coral-plugin-example"
    assert summary["sources"]["patches.example_patch"][-1]["source"] == "plugin example_patch (default_config_overrides)"


def test_example_plugin_settings_and_command_line_over_its_defaults(tmp_path, example_site):
    proc = run_cli("coral-run", "backends=example_cpu", "patches.example_patch=false",
                   "plugins.config.example_cpu.max_abs_output=1e-12", cwd=tmp_path, env=pythonpath(example_site))
    assert proc.returncode == 3, proc.stderr  # the plugin's own check, configured per plugin
    assert "plugins.config.example_cpu.max_abs_output" in proc.stderr and "Traceback" not in proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["config"]["patches"]["example_patch"] is False  # command line beats the plugin default
    assert summary["sources"]["patches.example_patch"][-1]["source"] == "command line"


def test_config_validate_types_the_plugins_settings(tmp_path, example_site):
    proc = run_cli("coral-runtime", "config", "validate", "backends=example_cpu",
                   "plugins.config.example_cpu.max_abs_output=abc", "plugins.config.example_cpu.max_abs=1",
                   cwd=tmp_path, env=pythonpath(example_site))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert "plugins.config.example_cpu.max_abs_output" in out and "'abc' is not a number" in out
    assert "plugin example_cpu (coral-plugin-example 0.1.0)" in out and "command line" in out
    assert "plugins.config.example_cpu.max_abs: unknown setting; did you mean 'max_abs_output'?" in out
    assert "Traceback" not in out
    ok = run_cli("coral-runtime", "config", "validate", "backends=example_cpu",
                 "plugins.config.example_cpu.max_abs_output=10", cwd=tmp_path, env=pythonpath(example_site))
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_plugins_none_leaves_the_plugin_backend_unknown(tmp_path, example_site):
    proc = run_cli("coral-run", "backends=example_cpu", "plugins=none", cwd=tmp_path, env=pythonpath(example_site))
    assert proc.returncode == 2
    assert "unknown backend kind 'example_cpu'" in proc.stderr
    assert "the installed plugin 'example_cpu' may provide it, but plugins.mode=none loads no plugin" in proc.stderr
    (tmp_path / "allowlist").mkdir()
    proc = run_cli("coral-run", "backends=example_cpu", "plugins=allowlist", "plugins.allowlist=[example_patch]",
                   cwd=tmp_path / "allowlist", env=pythonpath(example_site))
    assert proc.returncode == 2
    assert "plugin example_cpu (coral-plugin-example 0.1.0) provides it but is skipped here: not in plugins.allowlist" \
        in proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["plugins"] == {"contract_version": 2, "loaded": {}, "details": []}


def test_plugins_list_shows_metadata_compatibility_and_config_options(tmp_path, example_site):
    write_cases(tmp_path / "cases")
    proc = run_cli("coral-runtime", "plugins", "list", "--json", cwd=tmp_path,
                   env=pythonpath(example_site, tmp_path / "cases"))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    found = {p["name"]: p for p in doc["plugins"]}
    assert found["example_cpu"]["compatible"] is True and found["example_cpu"]["metadata"]["kind"] == "example_cpu"
    assert found["example_cpu"]["metadata"]["requires"] == {"numpy": ">=1.23"}
    assert found["core_too_old"]["compatible"] is False and "coral_inference >= 99.0" in found["core_too_old"]["reason"]
    assert found["broken_import"]["status"] == "failed"
    assert found["declines"]["compatible"] is True  # listing never activates
    text = run_cli("coral-runtime", "plugins", "list", cwd=tmp_path, env=pythonpath(example_site, tmp_path / "cases")).stdout
    # both names, the group, the type, and each version requirement with whether it is met here
    assert "coral_inference.workflows (entry-point group)" in text
    assert "needs coral_inference>=99.0: installed 0.1.0, NOT met" in text
    assert "needs coral_inference>=0.1: installed 0.1.0, met" in text and "needs numpy>=1.23: installed" in text
    assert "activate_ms" not in found["good_patch"]
    [package] = doc["config_packages"]
    assert package["distribution"] == "coral-plugin-example" and package["options"] == {"backends": ["example_cpu"]}
    text = run_cli("coral-runtime", "plugins", "list", "--group", "backends", cwd=tmp_path,
                   env=pythonpath(example_site)).stdout
    assert "example_cpu" in text and "compatible" in text and "backends=example_cpu" in text
    assert "example_patch" not in text


def test_broken_plugins_are_recorded_and_the_run_is_ok(tmp_path):
    write_cases(tmp_path / "cases")
    proc = run_cli("coral-run", "backends=cpu", cwd=tmp_path, env=pythonpath(tmp_path / "cases"))
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "ok"
    assert {d["name"]: d["status"] for d in summary["plugins"]["details"]} == EXPECTED_STATUS
    assert "plugins not loaded:" in proc.stdout and "raises (failed" in proc.stdout
    # activate-only PluginSpecs (a name and activate, type omitted) load in each of the three groups
    details = {d["name"]: d for d in summary["plugins"]["details"]}
    for group in ("backend", "patch", "workflow"):
        name = f"only_activate_{group}"
        assert summary["plugins"]["loaded"][name] is True and details[name]["type"] == group
    assert [e["message"] for e in summary["log"]].count("activate-only plugin ran") == 3
    # one needing a future core is incompatible, its other problems listed with it
    future = details["future_and_broken"]
    assert future["status"] == "incompatible" and future["unmet"] == ["needs coral_inference >= 99.0 (installed: 0.1.0)"]
    assert future["reason"] == ("needs coral_inference >= 99.0 (installed: 0.1.0); patch 'future_and_broken': has no "
                                "enable(context); patch 'future_and_broken': has no disable(context)")


def test_strict_fails_the_run_with_exit_4_and_a_complete_summary(tmp_path):
    write_cases(tmp_path / "cases")
    proc = run_cli("coral-run", "backends=cpu", "plugins.strict=true", cwd=tmp_path, env=pythonpath(tmp_path / "cases"))
    assert proc.returncode == 4, proc.stderr
    assert "plugins.strict=true" in proc.stderr and "plugin raises" in proc.stderr and "Traceback" not in proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "failed" and summary["error"]["exit_code"] == 4
    assert len(summary["plugins"]["details"]) == len(EXPECTED_STATUS)


# The filler plugin's own keys (plugins.config.filler.*, patches.filler) and two it may not set.
FILLER = {"plugins.config.filler.level": 2, "plugins.config.filler.size": 4, "patches.filler": False,
          "run.top_k": 9, "backends.cpu.num_threads": 2}


def test_plugin_defaults_fill_a_missing_value_and_lose_to_the_command_line(tmp_path):
    write_overrides_plugin(tmp_path / "filler", FILLER)
    proc = run_cli("coral-run", "backends=cpu", "plugins.config.filler.size=5", "plugins.config.filler.new=1",
                   cwd=tmp_path, env=pythonpath(tmp_path / "filler"))
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    config, sources = summary["config"], summary["sources"]
    assert config["plugins"]["config"]["filler"] == {"level": 2, "size": 5, "new": 1}  # no +/++ needed
    assert sources["plugins.config.filler.level"][-1]["source"] == "plugin filler (default_config_overrides)"
    assert sources["plugins.config.filler.size"][-1]["source"] == "command line"  # the command line wins
    assert config["patches"]["filler"] is False
    # a core key is not the plugin's: refused with a warning naming plugin, key and what it may set
    assert config["run"]["top_k"] == 3 and config["backends"]["cpu"]["num_threads"] is None
    assert sources["run.top_k"][-1]["source"] != "plugin filler (default_config_overrides)"
    assert "plugin filler: default_config_overrides: 'run.top_k' is not the plugin's own key" in proc.stderr
    assert "plugins.config.filler.* or patches.filler.*" in proc.stderr
    assert "'backends.cpu.num_threads' is not the plugin's own key" in proc.stderr


def test_a_foreign_default_key_is_an_error_under_strict(tmp_path):
    write_overrides_plugin(tmp_path / "filler", FILLER)
    proc = run_cli("coral-run", "backends=cpu", "plugins.strict=true", cwd=tmp_path, env=pythonpath(tmp_path / "filler"))
    assert proc.returncode == 4, proc.stderr
    assert "'run.top_k' is not the plugin's own key" in proc.stderr and "Traceback" not in proc.stderr


def test_plugin_defaults_lose_to_the_environment(tmp_path):
    write_overrides_plugin(tmp_path / "filler", FILLER)
    proc = run_cli("coral-run", "backends=cpu", cwd=tmp_path,
                   env={**pythonpath(tmp_path / "filler"), "CORAL_PLUGINS__CONFIG__FILLER__LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["config"]["plugins"]["config"]["filler"]["level"] == 3
    chain = summary["sources"]["plugins.config.filler.level"]
    assert [e["layer"] for e in chain] == ["plugin", "env"]
    assert chain[-1]["source"] == "env CORAL_PLUGINS__CONFIG__FILLER__LEVEL"


def test_plugin_defaults_lose_to_a_users_config_file(tmp_path):
    write_overrides_plugin(tmp_path / "filler", FILLER)
    (tmp_path / "myconf" / "plugins").mkdir(parents=True)
    (tmp_path / "myconf" / "plugins" / "mine.yaml").write_text("mode: auto\nconfig:\n  filler:\n    level: 7\n")
    proc = run_cli("coral-run", "--config-dir", str(tmp_path / "myconf"), "backends=cpu", "plugins=mine",
                   cwd=tmp_path, env=pythonpath(tmp_path / "filler"))
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["config"]["plugins"]["config"]["filler"] == {"level": 7, "size": 4}
    assert summary["sources"]["plugins.config.filler.level"][-1]["source"].startswith("myconf/plugins/mine.yaml")


def test_plugin_defaults_follow_each_sweep_jobs_plugin_selection(tmp_path):
    write_overrides_plugin(tmp_path / "filler", FILLER)
    proc = run_cli("coral-run", "-m", "backends=cpu", "plugins=auto,none", cwd=tmp_path,
                   env=pythonpath(tmp_path / "filler"), timeout=300)
    assert proc.returncode == 0, proc.stderr
    level = {s["choices"]["plugins"]: s["config"]["plugins"]["config"].get("filler", {}).get("level")
             for s in summaries(tmp_path / "multirun")}
    assert level == {"auto": 2, "none": None}


def test_nothing_discovers_plugins_at_import(tmp_path):
    marker = tmp_path / "imported"
    source = f"open({str(marker)!r}, 'w').close()\nfrom coral_inference.plugins import PluginSpec\n" \
             "spec = PluginSpec(name='marker', type='workflow', workflow=len)\n"
    write_dist(tmp_path / "dist", "coral-test-marker", "1.0", {"coral_test_marker.py": source},
               {"coral_inference.workflows": {"marker": "coral_test_marker:spec"}})
    code = ("import coral_inference, coral_inference.cli.run, coral_inference.cli.job, coral_inference.runtime.init, "
            "coral_inference.runtime.plugins, coral_inference.config.plugin_defaults, coral_inference.config.searchpath")
    proc = subprocess.run([sys.executable, "-c", code], env={**pythonpath(tmp_path / "dist"), "PATH": ""},
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
    # each run its own folder: two runs within one second would share the default (time-stamped) one
    proc = run_cli("coral-run", "run.mode=validate", "plugins=none", "hydra.run.dir=none", cwd=tmp_path,
                   env=pythonpath(tmp_path / "dist"))
    assert proc.returncode == 0 and not marker.exists(), proc.stderr  # plugins=none imports no plugin at all
    proc = run_cli("coral-run", "run.mode=validate", "hydra.run.dir=auto", cwd=tmp_path,
                   env=pythonpath(tmp_path / "dist"))
    assert proc.returncode == 0 and marker.exists(), proc.stderr  # the marker can appear: the test can fail
