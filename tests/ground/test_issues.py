"""errors.Issues fills each problem's source from the config it is about: checks say what is wrong, the
Issues object says where the value came from (config provenance), once, for every check."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from coral_inference.errors import ConfigError, Issues, source_of

CONFIG = SimpleNamespace(sources={
    "run.warmup": [{"layer": "schema", "source": "schema default"}, {"layer": "env", "source": "env CORAL_RUN__WARMUP"}],
    "model.segments": [{"layer": "cli", "source": "command line"}],
})


def test_add_fills_the_source_from_the_key():
    issues = Issues(config=CONFIG)
    issues.add("run.warmup", "must be at least 0", value=-1)
    issues.add("model.segments[1]", "not found")  # part of a list value: the nearest key with a source
    issues.add("run.iterations", "never set anywhere")
    assert [p.source for p in issues.items] == ["env CORAL_RUN__WARMUP", "command line", None]
    assert issues.items[0].render() == "run.warmup: must be at least 0 (value -1; from env CORAL_RUN__WARMUP)"


def test_a_source_given_is_kept_even_none():
    issues = Issues(config=CONFIG)
    issues.add("run.warmup", "caused by the model", source=issues.source("model.segments"))
    issues.add("run.warmup", "no source on purpose", source=None)
    assert [p.source for p in issues.items] == ["command line", None]


def test_without_a_config_nothing_is_filled_and_a_view_shares_the_list():
    plain = Issues()
    plain.add("run.warmup", "x")
    view = plain.for_config(CONFIG)
    view.add("run.warmup", "y")
    assert [(p.message, p.source) for p in plain.items] == [("x", None), ("y", "env CORAL_RUN__WARMUP")]
    assert plain.source("run.warmup") is None and view.source("run.warmup") == "env CORAL_RUN__WARMUP"
    assert source_of(CONFIG, "run.warmup") == "env CORAL_RUN__WARMUP"
    with pytest.raises(ConfigError, match="Invalid configuration: 2 problems"):
        view.raise_if_errors()


def test_every_check_names_where_each_bad_value_came_from(tmp_path, monkeypatch):
    """One composed config with a bad value for the checks of many parts (backends, platform, bench,
    interpreter, model files, webrtc, tasks, file names): every problem names its layer."""
    from coral_inference.runtime.config import RuntimeDescriptor

    monkeypatch.chdir(tmp_path)
    cli = RuntimeDescriptor.from_cli([
        "backends.enabled=[cpu,ghost]", "backends.cpu.workers=0", "run.interpreter=bogus",
        "model.path=/nonexistent.tflite", "model.labels=/nonexistent.txt", "model.task=nosuch",
        "services.webrtc.enabled=true", "services.webrtc.ice_servers=[{urls:[bogus]}]", "summary.filename=a/b"])
    env = RuntimeDescriptor.from_env({"CORAL_RUN__WARMUP": "-1", "CORAL_RUN__TOP_K": "0"})
    composition = RuntimeDescriptor.merge(cli, env).compose()
    with pytest.raises(ConfigError) as raised:
        composition.runtime_config()
    sources = {p.key: p.source for p in composition.issues.items}
    assert sources == {
        "summary.filename": "command line", "backends.cpu.workers": "command line", "backends.enabled": "command line",
        "run.warmup": "env CORAL_RUN__WARMUP", "run.interpreter": "command line", "model.path": "command line",
        "model.labels": "command line", "model.task": "command line",
        "services.webrtc.ice_servers[0].urls[0]": "command line", "run.top_k": "env CORAL_RUN__TOP_K"}
    assert all(f"from {p.source}" in p.render() for p in raised.value.problems)
