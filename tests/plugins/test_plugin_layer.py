"""The plugin layer, unit by unit and in-process (no subprocess): the registry, discovery from real
dist-info folders on sys.path, declaration checks, requirement checks with a given interpreter, typed
settings, and config validation of plugins.config.<name>."""

from __future__ import annotations

import dataclasses
import sys
from typing import Optional

import pytest

from coral_inference.plugins import PluginSpec, settings_for
from coral_inference.plugins.declaration import declaration_problems, foreign_keys, settings_problems, type_problem
from coral_inference.plugins.discovery import discover, judge, selected
from coral_inference.plugins.registry import Registry, RegistryError, builtin_registry
from plugin_dists import write_cases, write_dist

LITERT = ("ai_edge_litert", "2.3.0", None)


# --- registry ------------------------------------------------------------------------------------
def test_builtins_are_lazy_strings_until_got():
    from coral_inference.plugins.builtins import BUILTINS

    base = Registry(BUILTINS)
    assert base.target("backend", "cpu") == "coral_inference.backends.cpu:CpuBackend"
    assert base.get("backend", "cpu").__name__ == "CpuBackend" and not isinstance(base.target("backend", "cpu"), str)
    assert {"backends", "interpreter", "segments", "webrtc", "bench"} <= set(builtin_registry().names("check"))


def test_a_child_view_keeps_its_additions_and_removals():
    parent = Registry({"sink": {"a": "json:dumps"}})
    child = parent.child()
    child.add("sink", "b", print, source="dist-b")
    child.remove("sink", "a")
    assert child.names("sink") == ["b"] and parent.names("sink") == ["a"]
    assert child.source("sink", "b") == "dist-b" and not parent.has("sink", "b")
    import json

    assert parent.get("sink", "a") is json.dumps  # imported on first get
    with pytest.raises(RegistryError, match="already registered"):
        child.add("sink", "b", len)
    with pytest.raises(RegistryError, match="unknown extension kind 'widget'"):
        child.add("widget", "x", len)


# --- declarations --------------------------------------------------------------------------------
def test_an_activate_only_spec_is_valid_in_every_group():
    spec = PluginSpec(name="hello", activate=lambda context: True, min_core_version="0.1")
    for group_type in ("backend", "patch", "workflow"):
        assert declaration_problems(spec, group_type) == []


def test_every_declaration_problem_is_listed():
    class NoSupports:
        supports = ["opencv>=4"]

        def enable(self, context):
            return True

    spec = PluginSpec(name="bad", type="backend", backend=42, patch=NoSupports(), workflow="x", settings=dict,
                      contributes={"decoder": ["x"], "widget": {}})
    problems = declaration_problems(spec, "patch")
    assert len(problems) == 8, problems
    text = "; ".join(problems)
    for part in ("published in the patch entry-point group",
                 "backend 'bad': is int 42, not callable: expected a factory (name, spec, context, model) -> Backend",
                 "patch 'bad': has no disable(context)", "patch 'bad': supports is list",
                 "workflow 'bad': is str 'x', not callable: expected a block factory (**settings)",
                 "settings is <class 'dict'>, not a dataclass", "contributes['decoder'] is not a mapping",
                 "contributes kind 'widget'"):
        assert part in text


def test_a_future_core_is_incompatible_and_listed_with_its_other_problems():
    spec = PluginSpec(name="p", type="patch", patch=object(), min_core_version="99.0", requires={"numpy": "<1"})
    status, rows, problems = judge(spec, "coral_inference.patches", interpreter_info=LITERT)
    assert status == "incompatible"
    assert [r["met"] for r in rows] == [False, False]
    assert "needs coral_inference >= 99.0 (installed: 0.1.0)" == rows[0]["problem"]
    assert problems == ["patch 'p': has no enable(context)", "patch 'p': has no disable(context)"]


def test_default_overrides_may_set_only_the_plugins_own_keys():
    spec = PluginSpec(name="hailo", type="backend", kind="hailo8", backend=len, default_config_overrides={
        "plugins.config.hailo.level": 1, "patches.hailo": True, "backends.extra.hailo8.num_threads": 2,
        "backends.extra.hailo.workers": 2, "run.top_k": 9, "patches.camera": False, "plugins.config.other.x": 1,
        "plugins.config.hailox": 1})
    assert foreign_keys(spec, "backend") == ["run.top_k", "patches.camera", "plugins.config.other.x",
                                             "plugins.config.hailox"]
    patch_spec = PluginSpec(name="p", default_config_overrides={"backends.extra.p.workers": 2})
    assert foreign_keys(patch_spec, "patch") == ["backends.extra.p.workers"]  # not a backend plugin


# --- settings ------------------------------------------------------------------------------------
@dataclasses.dataclass
class Settings:
    score_scale: float = 1.0
    labels: Optional[list[str]] = None
    enabled: bool = True
    name: str = "x"


@pytest.mark.parametrize("value,ok", [(1, True), (1.5, True), ("abc", False), (True, False), (None, False)])
def test_a_float_setting_takes_numbers_only(value, ok):
    assert (type_problem(float, value) is None) is ok


def test_settings_problems_name_unknown_keys_and_wrong_types():
    spec = PluginSpec(name="p", settings=Settings)
    problems = settings_problems(spec, {"score_scale": "abc", "labels": ("a", 2), "enabled": "yes", "scale": 2})
    by_key = {key: (message, expected) for key, _value, message, expected in problems}
    assert by_key["score_scale"] == ("'abc' is not a number", "float")
    assert by_key["labels"][0] == "item 1: 2 is not str" and by_key["labels"][1] == "list[str] | None"
    assert "is not a bool" in by_key["enabled"][0]
    assert by_key["scale"][0] == "unknown setting; did you mean 'score_scale'?"
    assert settings_problems(spec, {"score_scale": 2, "labels": ["a"]}) == []
    assert settings_problems(PluginSpec(name="untyped"), {"anything": object()}) == []


def test_settings_for_fills_the_dataclass_defaults():
    class Context:
        class config:  # noqa: N801
            class plugins:  # noqa: N801
                config = {"p": {"score_scale": 2.0}}

        plugin_specs = {"p": PluginSpec(name="p", settings=Settings)}

    assert settings_for(Context, "p") == {"score_scale": 2.0, "labels": None, "enabled": True, "name": "x"}


# --- discovery -----------------------------------------------------------------------------------
def test_activate_only_specs_take_their_groups_type(tmp_path, on_path):
    on_path(write_cases(tmp_path))
    for group, kind in (("coral_inference.backends", "backend"), ("coral_inference.patches", "patch"),
                        ("coral_inference.workflows", "workflow")):
        [record] = [r for r in discover(group, interpreter_info=LITERT) if r["name"].startswith("only_activate")]
        assert record["status"] == "ok" and record["type"] == kind and record["metadata"]["type"] == kind


def test_the_allowlist_takes_entry_point_or_spec_names(tmp_path, on_path):
    root = write_dist(tmp_path, "coral-test-named", "1.0", {"coral_test_named.py": (
        "from coral_inference.plugins import PluginSpec\n"
        "spec = PluginSpec(name='spec_name', activate=lambda c: True)\n")},
        {"coral_inference.patches": {"ep_name": "coral_test_named:spec"}})
    on_path(root)
    [by_ep] = discover("coral_inference.patches", allow={"ep_name"})
    [by_spec] = discover("coral_inference.patches", allow={"spec_name"})
    [neither] = discover("coral_inference.patches", allow={"ep"})
    assert by_ep["status"] == by_spec["status"] == "ok" and by_spec["entry_point"]["name"] == "ep_name"
    assert neither["status"] == "skipped"
    assert "coral_test_named" in sys.modules
    from coral_inference.cli.cmd_plugins import render

    by_ep["compatible"] = True
    text = render({"plugins": [by_ep], "config_packages": []})
    assert "coral_inference.patches (entry-point group)" in text
    assert "spec_name        entry point ep_name          patch    coral-test-named 1.0  compatible" in text


def test_an_unlisted_entry_point_is_not_imported_when_every_listed_name_is_an_entry_point(tmp_path, on_path):
    on_path(write_cases(tmp_path))
    records = discover("coral_inference.workflows", allow={"good_workflow"})
    assert {r["name"]: r["status"] for r in records}["broken_import"] == "skipped"
    assert "coral_test_broken" not in sys.modules


def test_selected_reads_any_shape_of_the_plugins_section():
    assert selected(None) == ("auto", None)
    assert selected({"mode": "allowlist", "allowlist": ["a"]}) == ("allowlist", {"a"})
    assert selected({"plugins": {"mode": "none"}}) == ("none", None)


# --- validation of plugins.config.<name> ---------------------------------------------------------
TYPED = '''
import dataclasses
from coral_inference.plugins import PluginSpec


@dataclasses.dataclass
class Settings:
    score_scale: float = 1.0


spec = PluginSpec(name="typed", activate=lambda context: True, settings=Settings)
'''


def test_config_validate_types_plugin_settings_and_names_the_plugin(tmp_path, on_path, compose):
    from coral_inference.config.validate import validate
    from coral_inference.runtime.config import RuntimeConfig

    on_path(write_dist(tmp_path, "coral-test-typed", "2.0", {"coral_test_typed.py": TYPED},
                       {"coral_inference.workflows": {"typed": "coral_test_typed:spec"}}))
    bad = RuntimeConfig.from_dictconfig(compose("backends=cpu", "plugins.config.typed.score_scale=abc",
                                                "plugins.config.typed.scale=2"))
    problems = {p.key: p for p in validate(bad).errors}
    assert problems["plugins.config.typed.score_scale"].message == \
        "'abc' is not a number for plugin typed (coral-test-typed 2.0)"
    assert "unknown setting" in problems["plugins.config.typed.scale"].message
    good = RuntimeConfig.from_dictconfig(compose("backends=cpu", "plugins.config.typed.score_scale=2"))
    assert not [p for p in validate(good).errors if p.key.startswith("plugins.config")]
    off = RuntimeConfig.from_dictconfig(compose("backends=cpu", "plugins=none", "plugins.config.typed.score_scale=abc"))
    assert not [p for p in validate(off).errors if p.key.startswith("plugins.config")]  # not loaded: not typed


def test_settings_for_a_plugin_nobody_has_are_a_warning_with_the_nearest_name(tmp_path, on_path, compose):
    from coral_inference.config.validate import validate
    from coral_inference.runtime.config import RuntimeConfig

    on_path(write_dist(tmp_path, "coral-test-typed", "2.0", {"coral_test_typed.py": TYPED},
                       {"coral_inference.workflows": {"typed": "coral_test_typed:spec"}}))
    issues = validate(RuntimeConfig.from_dictconfig(compose("backends=cpu", "plugins.config.typd.score_scale=2")))
    [warning] = [p for p in issues.warnings if p.key == "plugins.config.typd"]
    assert warning.message == "no installed plugin is named 'typd'; did you mean 'typed'?"
    assert not [p for p in issues.errors if p.key.startswith("plugins.config")]
