"""Every contribution is checked against its kind's protocol (plugins/contract.py KIND_CHECKS) when the plugin
is judged and when it loads: a mismatch fails that plugin with a reason naming the kind, the name and what
is missing, in ``plugins list`` (JSON and text) and the run summary; the run goes on. One really
pip-installed package holds a good and a malformed contribution of every kind."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, summaries
from plugin_dists import pip_install

KINDS_PLUGIN = '''
from coral_inference.plugins import PluginSpec


class Decoder:
    def match(self, details):
        return None

    def decode(self, outputs, details, options):
        return {"kind": "kinds_task"}


class OnlyMatch:
    def match(self, details):
        return None


class Patch:
    description = "fine"

    def enable(self, context):
        return True

    def disable(self, context):
        pass


class NoDisable:
    description = "no disable"

    def enable(self, context):
        return True


def block_factory(**settings):
    return lambda result, frame, stream: result


def sink_factory(stream, context):
    return None


def mode(context):
    return {}


def check(config, issues):
    pass


def backend_2(name, spec, context, model):
    raise AssertionError("never built here")


class Backend1:  # the previous contract: (name, spec, context)
    def __init__(self, name, spec, context):
        raise AssertionError("never built here")


good = PluginSpec(name="kinds_good", workflow=block_factory, contributes={
    "decoder": {"kinds_task": Decoder()}, "sink": {"kinds_sink": sink_factory}, "mode": {"kinds_mode": mode},
    "check": {"kinds_check": check}})
good_patch = PluginSpec(name="kinds_patch", patch=Patch())
backend_two = PluginSpec(name="kinds_b2", backend=backend_2)
backend_one = PluginSpec(name="kinds_b1", backend=Backend1)

bad_backend = PluginSpec(name="bad_backend", backend=lambda name: None)
bad_patch = PluginSpec(name="bad_patch", patch=NoDisable())
bad_workflow = PluginSpec(name="bad_workflow", workflow=42)
bad_decoders = PluginSpec(name="bad_decoders", contributes={"decoder": {"my_int": 42, "my_task": OnlyMatch()}})
bad_sink = PluginSpec(name="bad_sink", contributes={"sink": {"one_arg": lambda stream: None}})
bad_mode = PluginSpec(name="bad_mode", contributes={"mode": {"seven": 7}})
bad_check = PluginSpec(name="bad_check", contributes={"check": {"one_arg": lambda config: None}})
'''
ENTRY_POINTS = {
    "coral_inference.backends": {n: f"coral_test_kinds:{v}" for n, v in (
        ("kinds_b2", "backend_two"), ("kinds_b1", "backend_one"), ("bad_backend", "bad_backend"))},
    "coral_inference.patches": {"kinds_patch": "coral_test_kinds:good_patch", "bad_patch": "coral_test_kinds:bad_patch"},
    "coral_inference.workflows": {n: f"coral_test_kinds:{v}" for n, v in (
        ("kinds_good", "good"), ("bad_workflow", "bad_workflow"), ("bad_decoders", "bad_decoders"),
        ("bad_sink", "bad_sink"), ("bad_mode", "bad_mode"), ("bad_check", "bad_check"))},
}
REASONS = {
    "bad_backend": "backend 'bad_backend': cannot be called as a backend factory (name, spec, context, model) "
                   "(contract 2) nor (name, spec, context) (contract 1): it takes (name)",
    "bad_patch": "patch 'bad_patch': has no disable(context)",
    "bad_workflow": "workflow 'bad_workflow': is int 42, not callable: expected a block factory (**settings)",
    "bad_decoders": "decoder 'my_int': has no match(details); decoder 'my_int': has no decode(outputs, details, "
                    "options); decoder 'my_task': has no decode(outputs, details, options)",
    "bad_sink": "sink 'one_arg': cannot be called as a sink factory (stream, context): it takes (stream)",
    "bad_mode": "mode 'seven': is int 7, not callable: expected a run mode (context)",
    "bad_check": "check 'one_arg': cannot be called as a config check (config, issues): it takes (config)",
}
GOOD = {"kinds_good", "kinds_patch", "kinds_b2", "kinds_b1"}


@pytest.fixture(scope="module")
def kinds_site(tmp_path_factory):
    return pip_install(tmp_path_factory.mktemp("kinds"), "coral-test-kinds", "2.0", {"coral_test_kinds.py": KINDS_PLUGIN},
                       ENTRY_POINTS)


def test_the_table_covers_every_registry_kind_and_names_kind_name_and_what_is_missing():
    from coral_inference.plugins.contract import KIND_CHECKS, contribution_problems
    from coral_inference.plugins.registry import KINDS

    assert tuple(KIND_CHECKS) == KINDS == ("backend", "patch", "mode", "workflow", "decoder", "sink", "check", "tracker")
    assert contribution_problems("decoder", "my_task", object()) == [
        "decoder 'my_task': has no match(details)", "decoder 'my_task': has no decode(outputs, details, options)"]
    assert contribution_problems("backend", "k", lambda name, spec, context: None) == []  # contract 1 is accepted
    assert contribution_problems("sink", "s", print) == []  # a signature that cannot be read is not refused


def test_the_registry_refuses_an_object_that_does_not_fit_its_kind():
    from coral_inference.plugins.registry import RegistryError, new_registry

    registry = new_registry()
    with pytest.raises(RegistryError, match="decoder 'x': has no match"):
        registry.add("decoder", "x", 42)
    assert not registry.has("decoder", "x")
    registry.add("decoder", "lazy", "some.module:DECODER")  # a lazy target is checked by whoever imports it


def test_plugins_list_shows_each_malformed_contribution_and_the_backend_contracts(tmp_path, kinds_site):
    proc = run_cli("coral-runtime", "plugins", "list", "--json", cwd=tmp_path, env={"PYTHONPATH": str(kinds_site)})
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["contract_version"] == 2
    records = {r["name"]: r for r in doc["plugins"]}
    assert {n for n, r in records.items() if r["status"] == "ok"} == GOOD
    assert {n: r["reason"] for n, r in records.items() if r["status"] == "failed"} == REASONS
    assert (records["kinds_b2"]["backend_contract"], records["kinds_b1"]["backend_contract"]) == (2, 1)
    text = run_cli("coral-runtime", "plugins", "list", cwd=tmp_path, env={"PYTHONPATH": str(kinds_site)}).stdout
    assert text.startswith("plugin contract version 2: backend factory (name, spec, context, model)")
    for reason in REASONS.values():
        assert f"reason: {reason}" in text
    assert "[backend kind kinds_b1, contract 1]" in text and "[backend kind kinds_b2, contract 2]" in text
    assert "backend contract 1: factory (name, spec, context): serves `model` only" in text


def test_the_run_goes_on_and_its_summary_records_each_refusal(tmp_path, kinds_site):
    proc = run_cli("coral-run", "backends=cpu", cwd=tmp_path, env={"PYTHONPATH": str(kinds_site)})
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    assert summary["status"] == "ok" and summary["plugins"]["contract_version"] == 2
    details = {d["name"]: d for d in summary["plugins"]["details"]}
    assert {n for n, ok in summary["plugins"]["loaded"].items() if ok} == GOOD  # a contract-1 backend still loads
    assert {n: d["reason"] for n, d in details.items() if d["status"] == "failed"} == REASONS
    assert details["kinds_good"]["registered"] == {"workflow": ["kinds_good"], "decoder": ["kinds_task"],
                                                   "sink": ["kinds_sink"], "mode": ["kinds_mode"],
                                                   "check": ["kinds_check"]}
    assert details["kinds_b1"]["backend_contract"] == 1 and details["kinds_b2"]["backend_contract"] == 2
    assert "plugins loaded: " in proc.stdout and "kinds_b1 (backend contract 1)" in proc.stdout
    assert "bad_decoders (failed: decoder 'my_int': has no match(details)" in proc.stdout


def test_plugins_strict_fails_the_run_on_a_malformed_contribution(tmp_path, kinds_site):
    proc = run_cli("coral-run", "backends=cpu", "plugins.strict=true", cwd=tmp_path, env={"PYTHONPATH": str(kinds_site)})
    assert proc.returncode == 4, proc.stderr
    assert "plugins.strict=true and 7 plugins did not load" in proc.stderr
    assert "decoder 'my_task': has no decode(outputs, details, options)" in proc.stderr and "Traceback" not in proc.stderr
