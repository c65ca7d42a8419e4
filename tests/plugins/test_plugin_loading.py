"""Plugin discovery and loading in-process, from real dist-info folders on sys.path
(importlib.metadata finds them as it finds any installed package; nothing is monkeypatched)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from conftest import REPO
from plugin_dists import EXPECTED_STATUS, write_cases, write_dist
from coral_inference.errors import EXIT_PLUGIN, PluginError
from coral_inference.plugins.registry import builtin_registry
from coral_inference.runtime.config import RuntimeConfig
from coral_inference.runtime.init import init

EXAMPLE = REPO / "examples" / "coral-plugin-example"


def example_dist(root: Path) -> Path:
    """A dist-info for examples/coral-plugin-example with the entry points of its own pyproject."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    return write_dist(root, project["name"], project["version"], {}, project["entry-points"])


def run(compose, *overrides):
    """init() on a composed config; the context is closed (plugins deactivated) afterwards."""
    context = init(RuntimeConfig.from_dictconfig(compose(*overrides)))
    context.close()
    return context


def by_name(context):
    return {r["name"]: r for r in context.plugins}


def test_each_broken_plugin_is_recorded_with_its_reason_and_the_run_stays_ok(compose, tmp_path, on_path):
    on_path(write_cases(tmp_path))
    context = run(compose, "backends=cpu")
    records = by_name(context)
    assert {n: r["status"] for n, r in records.items()} == EXPECTED_STATUS
    assert context.status == "ok"
    assert context.plugins_loaded["good_patch"] is True and context.plugins_loaded["raises"] is False
    reasons = {n: r["reason"] for n, r in records.items()}
    assert "coral_inference >= 99.0 (installed: 0.1.0)" in reasons["core_too_old"]
    assert "interpreter ai_edge_litert >= 999.0" in reasons["inference_too_old"]
    assert "numpy<1.0 (installed:" in reasons["unmet_requires"]
    assert "coral-no-such-dist>=1, which is not installed" in reasons["unmet_requires"]
    assert len(records["everything_unmet"]["unmet"]) == 3  # all failures of one plugin, together
    assert "ZeroDivisionError" in reasons["raises"] and "activate() raised" in reasons["raises"]
    assert reasons["declines"] == "activate() returned False"
    assert "wrong object: int 42" in reasons["wrong_type"]
    assert "needing arguments (x)" in reasons["needs_args"]
    assert "ModuleNotFoundError" in reasons["broken_import"] and "coral_no_such_module_xyz" in reasons["broken_import"]
    assert "published in the patch entry-point group" in reasons["backend_in_patch_group"]
    good = records["good_patch"]
    assert good["distribution"] == {"name": "coral-test-plugins", "version": "1.2.3"}
    assert good["entry_point"] == {"name": "good_patch", "value": "coral_test_plugins:good_patch",
                                   "group": "coral_inference.patches"}
    assert good["activate_ms"] >= 0 and good["type"] == "patch"
    assert any(e["message"] == "good_patch activated" for e in context.log)
    # the loaded patch and workflow are in this run's registry view, named with their distribution, never
    # in the shared built-ins
    assert context.registry.source("patch", "good_patch") == "coral-test-plugins"
    assert context.registry.has("workflow", "good_workflow") and good["registered"] == {"patch": ["good_patch"]}
    assert not builtin_registry().has("patch", "good_patch") and not builtin_registry().has("workflow", "good_workflow")


def test_strict_turns_any_failure_into_a_plugin_error_exit_4(compose, tmp_path, on_path):
    on_path(write_cases(tmp_path))
    with pytest.raises(PluginError) as info:
        run(compose, "backends=cpu", "plugins.strict=true")
    error = info.value
    error.context.close()
    assert error.exit_code == EXIT_PLUGIN == 4
    failing = {p.key for p in error.problems}
    assert failing == {f"plugin {n}" for n, s in EXPECTED_STATUS.items() if s != "loaded"}
    assert all(p.source == "coral-test-plugins 1.2.3" for p in error.problems)


def test_allowlist_imports_only_the_names_listed_and_reports_missing_ones(compose, tmp_path, on_path):
    on_path(write_cases(tmp_path))
    context = run(compose, "backends=cpu", "plugins=allowlist", "plugins.allowlist=[good_patch,nowhere]")
    status = {r["name"]: r["status"] for r in context.plugins}
    assert status["good_patch"] == "loaded" and status["nowhere"] == "missing"
    assert status["broken_import"] == "skipped" and status["raises"] == "skipped"
    assert "coral_test_broken" not in sys.modules  # never imported


def test_mode_none_loads_nothing(compose, tmp_path, on_path):
    on_path(write_cases(tmp_path))
    context = run(compose, "backends=cpu", "plugins=none")
    assert context.plugins == [] and context.plugins_loaded == {}
    assert "coral_test_plugins" not in sys.modules


def test_example_backend_option_composes_and_its_kind_runs(compose, tmp_path, on_path):
    on_path(EXAMPLE)
    on_path(example_dist(tmp_path))
    context = init(RuntimeConfig.from_dictconfig(compose("backends=example_cpu")))
    try:
        [state] = context.backends
        assert state.kind == "example_cpu" and state.status == "ok" and state.selfcheck["passed"]
        assert context.backend("example_cpu").checked >= 1  # its own infer ran the twist
        assert context.registry.source("backend", "example_cpu") == "coral-plugin-example"
        block = context.registry.get("workflow", "example_top1")(min_score=0.5)  # the Block contract
        result = {"predictions": [{"class": 1, "label": "b", "score": 0.7}, {"class": 0, "score": 0.1}]}
        assert block(result, None, None)["workflow"]["example_top1"]["class"] == 1
        assert block({"predictions": [{"class": 2, "score": 0.2}]}, None, None) is None
        assert block.summary() == {"kept": 1, "dropped": 1, "min_score": 0.5}
        assert context.plugins_loaded["example_hello"] is True  # activate-only, type from its group
        assert any(e["message"] == "example_hello: activated" for e in context.log)
    finally:
        context.close()
    assert not builtin_registry().has("backend", "example_cpu")  # the kind lived in the run's view only


def test_plugin_settings_reach_activate_and_the_backend(compose, tmp_path, on_path):
    from coral_inference.errors import BackendError

    on_path(EXAMPLE)
    on_path(example_dist(tmp_path))
    rc = RuntimeConfig.from_dictconfig(compose("backends=example_cpu", "plugins.config.example_cpu.max_abs_output=1e-12"))
    with pytest.raises(BackendError, match="plugins.config.example_cpu.max_abs_output") as info:
        init(rc)
    info.value.context.close()


def test_without_the_plugin_the_option_does_not_exist(compose):
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException, match="example_cpu"):
        compose("backends=example_cpu")


CONTRIBUTES = '''
from coral_inference.plugins import PluginSpec


class Decoder:
    def match(self, details):
        return "always"

    def decode(self, outputs, details, options):
        return {"kind": "my_task"}


def sink_factory(stream, context):
    return None


def check(config, issues):
    issues.add("plugins.config.contrib", "checked by a plugin", severity="warning")


contrib = PluginSpec(name="contrib", contributes={"decoder": {"my_task": Decoder()}, "sink": {"my_sink": sink_factory},
                                                  "check": {"contrib_check": check}})
clash = PluginSpec(name="clash", activate=lambda context: 1 / 0,
                   contributes={"decoder": {"classification": Decoder()}})
broken_check = PluginSpec(name="broken_check", contributes={"check": {"raises": lambda config, issues: 1 / 0}})
'''


def test_contributions_land_in_the_runs_registry_and_a_taken_name_fails_before_activate(compose, tmp_path, on_path):
    on_path(write_dist(tmp_path, "coral-test-contrib", "3.0", {"coral_test_contrib.py": CONTRIBUTES},
                       {"coral_inference.workflows": {"contrib": "coral_test_contrib:contrib",
                                                      "clash": "coral_test_contrib:clash",
                                                      "broken_check": "coral_test_contrib:broken_check"}}))
    context = run(compose, "backends=cpu")
    records = by_name(context)
    assert records["contrib"]["status"] == "loaded"
    assert records["contrib"]["registered"] == {"decoder": ["my_task"], "sink": ["my_sink"], "check": ["contrib_check"]}
    assert context.registry.get("decoder", "my_task").decode([], [], {}) == {"kind": "my_task"}
    assert context.registry.source("sink", "my_sink") == "coral-test-contrib"
    # the built-in decoder keeps its name: the plugin fails with the reason, its activate never ran
    assert records["clash"]["status"] == "failed" and "activate_ms" not in records["clash"]
    assert records["clash"]["reason"] == "decoder 'classification' is already registered (by builtin)"
    assert not builtin_registry().has("decoder", "my_task")
    # a contributed check runs in validation when given the run's registry
    from coral_inference.config.validate import validate

    assert any(p.message == "checked by a plugin" for p in validate(context.config, context.registry).warnings)
    # and before any plugin is loaded (config validate, coral-run's validation): from the plugins that would load
    issues = validate(context.config)
    assert any(p.message == "checked by a plugin" for p in issues.warnings)
    [raised] = [p for p in issues.errors if p.key == "plugin coral-test-contrib"]  # named by its distribution
    assert any(p.key == "plugin coral-test-contrib" for p in validate(context.config, context.registry).errors)
    assert raised.message == "its config check 'raises' raised ZeroDivisionError: division by zero"
