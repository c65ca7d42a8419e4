"""A descriptor file's `defaults:` list composes like Hydra's: `<group>: <option>` selects, a name is a config
file found beside it (composed below the file's own values unless it comes after `_self_`), `optional <name>`
may be absent; an entry that is not found (or a cycle) is exit 2 naming `defaults[i]` and the file, never
ignored. `run.source=X` with `streams.default.*` works as PLUGIN_PUBLISHING.md says."""

import json

from conftest import run_cli, summaries
from coral_inference.config.descriptor import RuntimeDescriptor as D
from coral_inference.config.descriptor import merge
from coral_inference.errors import ConfigError
from media import write_video


def compose(file, *cli):
    return merge(D.from_file(file), D.from_cli(list(cli))).compose().runtime_config()


def test_a_named_file_composes_below_the_file_and_its_values_keep_their_source(tmp_path):
    video = write_video(tmp_path / "v.mp4", frames=2)
    (tmp_path / "cameras.yaml").write_text(f"streams:\n  a:\n    source: {video}\n    max_fps: 2\n")
    (tmp_path / "main.yaml").write_text("defaults:\n  - cameras\n  - backends: cpu\nstreams:\n  a:\n    max_fps: 5\n")
    config = compose(tmp_path / "main.yaml")
    assert config.streams["a"].source == str(video) and config.streams["a"].max_fps == 5  # the file's own win
    assert config.backends.enabled == ("cpu",)
    assert config.sources["streams.a.source"][-1]["source"].endswith("cameras.yaml")
    assert config.sources["streams.a.max_fps"][-1]["source"].endswith("main.yaml")


def test_after_self_an_included_file_wins(tmp_path):
    (tmp_path / "late.yaml").write_text("run:\n  top_k: 7\n")
    (tmp_path / "main.yaml").write_text("defaults:\n  - _self_\n  - late\nrun:\n  top_k: 2\n")
    assert compose(tmp_path / "main.yaml").run.top_k == 7


def test_nested_defaults_and_a_folder_name(tmp_path):
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "base.yaml").write_text("run:\n  top_k: 4\n")
    (tmp_path / "mid.yaml").write_text("defaults:\n  - common/base\nrun:\n  warmup: 3\n")
    (tmp_path / "main.yaml").write_text("defaults:\n  - mid\n  - optional absent\n")
    config = compose(tmp_path / "main.yaml")
    assert config.run.top_k == 4 and config.run.warmup == 3


def test_an_entry_not_found_is_exit_2_naming_it(tmp_path):
    (tmp_path / "main.yaml").write_text("defaults:\n  - nosuchfile\n")
    layer = D.from_file(tmp_path / "main.yaml")
    [p] = layer.issues.errors
    assert p.key == "defaults[0]" and p.value == "nosuchfile" and "main.yaml" in p.source
    assert "nosuchfile.yaml" in p.expected
    for cmd in (["coral-runtime", "config", "validate", "-c", "main.yaml"],
                ["coral-run", "--config-dir", ".", "--config-name", "main"]):
        proc = run_cli(*cmd, cwd=tmp_path)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "defaults[0]: no config 'nosuchfile' on the search path" in proc.stderr and "Traceback" not in proc.stderr


def test_a_cycle_is_an_error(tmp_path):
    (tmp_path / "a.yaml").write_text("defaults:\n  - b\n")
    (tmp_path / "b.yaml").write_text("defaults:\n  - a\n")
    errors = D.from_file(tmp_path / "a.yaml").issues.errors
    assert errors and "includes itself" in errors[0].message


def test_a_bad_entry_in_an_included_file_is_reported(tmp_path):
    (tmp_path / "inner.yaml").write_text("defaults:\n  - 42\n")
    (tmp_path / "main.yaml").write_text("defaults:\n  - inner\n")
    try:
        compose(tmp_path / "main.yaml")
    except ConfigError as exc:
        assert any(p.key == "defaults[0]" and "inner.yaml" in p.source for p in exc.problems)
    else:
        raise AssertionError("a bad entry was ignored")


def test_run_source_with_streams_default_settings_as_the_docs_say(tmp_path):
    video = write_video(tmp_path / "clip.mp4", frames=3)
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={video}",
                   "streams.default.workflow=[{block: score_filter, min_score: 1.0, drop_empty: true}]",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    stream = summary["results"]["pipeline"]["streams"]["default"]
    assert stream["frames"] == 3 and "score_filter" in json.dumps(stream["workflow"])  # streams.default's workflow ran
    (tmp_path / "wf.yaml").write_text("streams:\n  default:\n    workflow: [{block: score_filter, min_score: 0.5}]\n")
    proc = run_cli("coral-runtime", "config", "validate", "-c", "wf.yaml", "run.mode=pipeline", cwd=tmp_path)
    assert proc.returncode == 2 and "run.source" in proc.stderr  # no source: the message names the shorthand
    proc = run_cli("coral-runtime", "config", "validate", "-c", "wf.yaml", "run.mode=pipeline",
                   f"run.source={video}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
