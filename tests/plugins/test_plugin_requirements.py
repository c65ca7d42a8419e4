"""PEP 440 checks of a plugin's requirements (packaging), with given installed versions."""

import pytest

from coral_inference.plugins.requirements import check_requirements
from coral_inference.plugins import PluginSpec

LITERT = ("ai_edge_litert", "2.3.0", None)


def check(core="0.1.0", installed=None, interpreter=LITERT, **spec):
    versions = installed or {}
    return check_requirements(PluginSpec(name="p", type="workflow", workflow=len, **spec), core_version=core,
                              version_of=versions.get, interpreter_info=interpreter)


@pytest.mark.parametrize("core,minimum,ok", [
    ("0.1.0", "0.1", True),
    ("0.2.0rc1", "0.2", False),  # a pre-release comes before its release
    ("0.2.0", "0.2.0rc1", True),
    ("0.2.0rc2", "0.2.0rc1", True),
    ("1.0.0.dev1", "1.0", False),
    ("0.10.0", "0.9", True),  # not a string comparison
])
def test_min_core_version(core, minimum, ok):
    assert (check(core=core, min_core_version=minimum) == []) is ok


@pytest.mark.parametrize("installed,specifier,ok", [
    ("1.26.4", ">=1.26,<3", True),
    ("2.1.0rc1", ">=1.26", True),  # an installed pre-release inside the range satisfies it
    ("2.0.0rc1", ">=2.0", False),
    ("1.24.0", ">=1.26", False),
    ("2.0.0", "~=2.0", True),
])
def test_requires_specifiers(installed, specifier, ok):
    assert (check(installed={"numpy": installed}, requires={"numpy": specifier}) == []) is ok


def test_min_inference_version_plain_and_per_module():
    assert check(min_inference_version="2.0") == []
    assert check(min_inference_version="2.4") == ["needs interpreter ai_edge_litert >= 2.4 (installed: 2.3.0)"]
    assert check(min_inference_version={"ai_edge_litert": "2.0"}) == []
    [only_tflite] = check(min_inference_version={"tflite_runtime": "2.14"})
    assert "supports the interpreters tflite_runtime, not ai_edge_litert" in only_tflite
    [none] = check(min_inference_version="1.0", interpreter=(None, None, "No TFLite interpreter is installed"))
    assert "none is usable (No TFLite interpreter is installed)" in none


def test_every_unmet_requirement_is_reported_together():
    unmet = check(core="0.1.0", installed={"numpy": "1.24.0"}, min_core_version="0.5",
                  min_inference_version="9", requires={"numpy": ">=1.26", "opencv-python-headless": ">=4"})
    assert len(unmet) == 4
    assert unmet[0] == "needs coral_inference >= 0.5 (installed: 0.1.0)"
    assert "opencv-python-headless>=4, which is not installed" in unmet[3]


def test_bad_declarations_are_named():
    unmet = check(min_core_version="one", requires={"numpy": "at least 1"})
    assert unmet == ["coral_inference: 'one' is not a PEP 440 version",
                     "requires numpy: 'at least 1' is not a PEP 440 specifier"]


def test_real_installed_versions_are_read():
    assert check_requirements(PluginSpec(name="p", type="workflow", workflow=len, requires={"numpy": ">=1"}),
                              interpreter=None) == []
