"""The layers in-process: env rule, file and cli descriptors, the fold, provenance, unknown keys."""

import pytest

from coral_inference.config import sources as src
from coral_inference.config.descriptor import RuntimeDescriptor as D
from coral_inference.config.descriptor import merge
from coral_inference.errors import ConfigError


@pytest.mark.parametrize("text,value", [
    ("true", True), ("Yes", True), ("ON", True), ("false", False), ("no", False), ("off", False),
    ("null", None), ("~", None), ("none", "none"),  # `none` is a group option name, not null
    ("2", 2), ("-3", -3), ("0.5", 0.5), ("1e3", 1000.0),
    ("a,b", ["a", "b"]), ("[1, x]", [1, "x"]), ("[]", []), ("usb:0,pci:1", ["usb:0", "pci:1"]),
    ("'a,b'", "a,b"), ('"007"', "007"), ("", ""), ("usb:0", "usb:0"), ("http://h:8086", "http://h:8086"),
])
def test_env_value_rule(text, value):
    assert src.parse_env_value(text) == value


def test_env_names_map_to_keys_case_insensitively():
    layer = D.from_env({"CORAL_BACKENDS__CPU__NUM_THREADS": "2", "coral_model__path": "/m.tflite",
                        "CORAL_BACKENDS": "edgetpu_multi", "HOME": "/root"})
    got = {e.key: (e.override, e.group) for e in layer.entries}
    assert got == {"backends.cpu.num_threads": ("++backends.cpu.num_threads=2", False),
                   "model.path": ("++model.path='/m.tflite'", False),
                   "backends": ("backends=edgetpu_multi", True)}
    assert not layer.issues.items


def test_unknown_env_name_warns_with_did_you_mean_and_errors_when_strict():
    env = {"CORAL_BACKENDS__CPU__NUM_THRAEDS": "2"}
    [warning] = D.from_env(env).issues.items
    assert warning.severity == "warning" and "CORAL_BACKENDS__CPU__NUM_THREADS" in warning.message
    [error] = D.from_env(env, strict=True).issues.items
    assert error.severity == "error" and error.source == "env CORAL_BACKENDS__CPU__NUM_THRAEDS"


def test_reserved_names_are_not_config():
    layer = D.from_env({"CORAL_DEBUG": "1", "CORAL_STRICT": "1", "CORAL_INFLUX_TOKEN": "x"}, strict=True)
    assert not layer.entries and not layer.issues.items


def test_bad_env_value_names_the_variable():
    [problem] = D.from_env({"CORAL_BACKENDS__CPU__NUM_THREADS": "many"}).issues.items
    assert problem.severity == "error" and problem.key == "backends.cpu.num_threads"
    assert "CORAL_BACKENDS__CPU__NUM_THREADS" in problem.render() and "an integer" in problem.expected
    [enum] = D.from_env({"CORAL_RUN__OUTPUT": "yaml"}).issues.items
    assert "text | json" in enum.expected
    assert D.from_env({"CORAL_RUN__MODE": "a_plugins_mode"}).issues.items == []  # checked against the registry later


def test_env_secret_is_passed_by_reference_never_by_value():
    [entry] = D.from_env({"CORAL_SERVICES__METRICS__TOKEN": "s3cr3t"}).entries
    assert "s3cr3t" not in entry.override and "${oc.env:CORAL_SERVICES__METRICS__TOKEN}" in entry.override


def test_file_layer_reports_every_schema_problem(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("backends:\n  cpu:\n    num_thread: 2\nrun:\n  warmup: many\nplatform: 3\n")
    layer = D.from_file(path)
    keys = sorted(p.key for p in layer.issues.errors)
    assert keys == ["backends.cpu.num_thread", "platform", "run.warmup"]
    assert all(p.source == f"file {path}" for p in layer.issues.errors)
    assert "num_threads" in layer.issues.errors[0].message  # did you mean


def test_file_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("run:\n  warmup: [1\n")
    [problem] = D.from_file(path).issues.errors
    assert "line" in problem.message and problem.source == f"file {path}"


def test_file_missing_is_a_problem_not_a_crash(tmp_path):
    [problem] = D.from_file(tmp_path / "nope.yaml").issues.errors
    assert problem.message == "file not found"


def test_json_descriptor(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('{"backends": "cpu", "run": {"warmup": 4}}')
    rc = D.from_file(path).to_runtime_config()
    assert rc.backends.enabled == ("cpu",) and rc.run.warmup == 4


def test_merge_order_is_data_not_argument_order(tmp_path):
    cli = D.from_cli(["run.warmup=9"])
    env = D.from_env({"CORAL_RUN__WARMUP": "7"})
    assert merge(cli, env).overrides == ["++run.warmup=7", "run.warmup=9"]


# One tiny test per adjacent pair of layers, through the fold both CLIs use (plugin < defaults:
# tests/config/test_layers_cli.py, with a real plugin distribution).

def test_pair_defaults_below_file(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("run:\n  warmup: 5\n")
    comp = merge(D.from_file(path)).compose()
    assert comp.cfg.run.warmup == 5
    assert comp.sources["run.warmup"][-1] == {"layer": "file", "source": f"file {path}"}


def test_pair_file_below_env(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("backends: cpu\nrun:\n  warmup: 5\n")
    comp = merge(D.from_file(path), D.from_env({"CORAL_RUN__WARMUP": "7", "CORAL_BACKENDS": "auto"})).compose()
    assert comp.cfg.run.warmup == 7 and comp.choices["backends"] == "auto"


def test_pair_env_below_cli():
    comp = merge(D.from_env({"CORAL_RUN__WARMUP": "7", "CORAL_BACKENDS": "auto"}),
                 D.from_cli(["run.warmup=9", "backends=cpu"])).compose()
    assert comp.cfg.run.warmup == 9 and comp.choices["backends"] == "cpu"
    assert [e["source"] for e in comp.sources["run.warmup"]][-2:] == ["env CORAL_RUN__WARMUP", "command line"]


def test_group_option_provenance_names_the_file_and_who_selected_it():
    comp = merge(D.from_env({"CORAL_PLATFORM": "usb_accelerator"})).compose()
    assert comp.sources["platform.max_devices"][-1]["source"] == \
        "conf/platform/usb_accelerator.yaml (selected by env CORAL_PLATFORM)"
    assert comp.sources["patches.opencv_threads"][-1]["source"] == "conf/patches/default.yaml"


def test_plus_key_the_schema_lacks_is_an_error_naming_it():
    comp = merge(D.from_cli(["+backends.cpu.num_thread=2"])).compose()
    with pytest.raises(ConfigError) as err:
        comp.runtime_config()
    [problem] = err.value.problems
    assert problem.key == "backends.cpu.num_thread" and problem.source == "command line"
    assert "num_threads" in problem.message


def test_env_sets_new_keys_of_dict_fields():
    comp = merge(D.from_env({"CORAL_PATCHES__MY_PATCH": "on", "CORAL_PLUGINS__CONFIG__DEMO__LEVEL": "3"})).compose()
    rc = comp.runtime_config()
    assert rc.patches["my_patch"] is True and rc.plugins.config["demo"]["level"] == 3
    assert comp.sources["patches.my_patch"][-1]["source"] == "env CORAL_PATCHES__MY_PATCH"


def test_literal_secret_in_a_file_warns_and_a_reference_does_not(tmp_path):
    literal, ref = tmp_path / "literal.yaml", tmp_path / "ref.yaml"
    literal.write_text("services:\n  metrics:\n    token: abc123\n")
    ref.write_text("services:\n  metrics:\n    token: ${oc.env:MY_TOKEN,null}\n")
    comp = merge(D.from_file(literal)).compose()
    comp.runtime_config()
    [warning] = comp.issues.warnings
    assert warning.key == "services.metrics.token" and warning.source == f"file {literal}"
    assert warning.value == "***" and "oc.env" in warning.expected
    comp = merge(D.from_file(ref)).compose()
    comp.runtime_config()
    assert comp.issues.warnings == []


def test_dict_fields_take_any_key():
    comp = merge(D.from_cli(["+patches.my_patch=true", "+plugins.config.demo.level=3"])).compose()
    rc = comp.runtime_config()
    assert rc.patches["my_patch"] is True and rc.plugins.config["demo"]["level"] == 3


def test_render_round_trips_through_hydras_parser():
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    for value in ["a b", "it's", "back\\", "x\\'y", "a=b", "", [1, "a,b", None], 0.25, True]:
        assert parser.parse_override("k=" + src.render(value)).value() == value
