"""Semantic checks (config/validate.py): each problem names key, value, source and expectation;
all are collected at once; nothing touches hardware."""

import pytest

from conftest import coral_file
from coral_inference.config.descriptor import RuntimeDescriptor as D
from coral_inference.config.descriptor import merge
from coral_inference.errors import ConfigError


def problems(*overrides, env=None):
    layers = [D.from_cli(list(overrides))] + ([D.from_env(env)] if env else [])
    comp = merge(*layers).compose()
    try:
        comp.runtime_config()
    except ConfigError as exc:
        return exc.problems, comp.issues.warnings
    return [], comp.issues.warnings


def test_defaults_are_clean():
    assert problems() == ([], [])


def test_device_spec_grammar():
    [p], _ = problems("backends=edgetpu_single", "backends.edgetpu_single.devices=usb:x")
    assert p.key == "backends.edgetpu_single.devices" and p.value == "usb:x" and p.source == "command line"
    assert "'usb:N'" in p.expected


def test_device_type_the_platform_lacks():
    [p], _ = problems("platform=usb_accelerator", "backends=edgetpu_single", "backends.edgetpu_single.devices=pci:0")
    assert "has no pci Edge TPU" in p.message and "['usb']" in p.expected


def test_platform_auto_is_checked_at_run_time_not_here():
    assert problems("platform=auto", "backends=edgetpu_multi") == ([], [])


def test_too_many_edgetpus_with_fallback_cpu_is_a_warning():
    errors, warnings = problems("platform=usb_accelerator", "backends=edgetpu_multi",
                                "backends.edgetpu_multi.fallback=cpu")
    assert errors == [] and "always fall back to the CPU" in warnings[0].message


def test_same_device_claimed_twice():
    errs, _ = problems("platform=coral_devboard", "backends.enabled=[edgetpu_single,edgetpu_multi]",
                       "backends.edgetpu_multi.devices=[usb:0,pci:0]", "backends.edgetpu_single.devices=usb:0")
    [p] = [e for e in errs if "already claimed" in e.message]
    assert p.key == "backends.edgetpu_multi.devices" and p.value == "usb:0"


def test_all_next_to_another_edgetpu_backend():
    errs, _ = problems("platform=coral_devboard", "backends.enabled=[edgetpu_single,edgetpu_multi]")
    assert any("claims every Edge TPU ('all')" in e.message for e in errs)


def _edgetpu_model(tmp_path):
    try:
        return str(coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite"))
    except pytest.skip.Exception:
        path = tmp_path / "m_edgetpu.tflite"  # the two facts the check reads: TFL3 and the custom op
        path.write_bytes(b"\x1c\x00\x00\x00TFL3" + b"\x00" * 24 + b"edgetpu-custom-op")
        return str(path)


def test_edgetpu_model_with_fallback_cpu_needs_cpu_path(tmp_path):
    model = _edgetpu_model(tmp_path)
    [p], _ = problems("backends=edgetpu_single", "backends.edgetpu_single.fallback=cpu", f"model.path={model}")
    assert p.key == "model.cpu_path" and "Edge-TPU-compiled" in p.message and p.source == "command line"
    cpu_twin = str(coral_file("mobilenet_v1_0.25_128_quant.tflite")) if "shared" in model else model
    assert problems("backends=edgetpu_single", "backends.edgetpu_single.fallback=cpu", f"model.path={model}",
                    f"model.cpu_path={cpu_twin}")[0] == []


def test_not_a_tflite_file(tmp_path):
    path = tmp_path / "x.tflite"
    path.write_bytes(b"not a model at all")
    [p], _ = problems(f"model.path={path}")
    assert "TFL3" in p.message and p.value == str(path)


def test_allowlist_names_no_installed_plugin_has(tmp_path, monkeypatch):
    from plugin_dists import write_overrides_plugin

    write_overrides_plugin(tmp_path / "filler", {})
    monkeypatch.syspath_prepend(str(tmp_path / "filler"))
    [p], _ = problems("plugins=allowlist", "plugins.allowlist=[filler,filer_typo]")
    assert p.key == "plugins.allowlist" and p.value == "filer_typo" and "did you mean 'filler'" in p.message


def test_many_problems_reported_together():
    errs, _ = problems("platform=usb_accelerator", "backends=edgetpu_multi", "model.path=/no/such.tflite",
                       "+run.speed=3")
    assert {p.key for p in errs} == {"run.speed", "model.path", "backends.edgetpu_multi.min_devices"}
