"""Edge TPU discovery on fake sysfs/dev trees, the device spec grammar, and `coral-runtime devices`."""

import json
import os

import pytest

from conftest import run_cli
from device_tree import fake_tree
from coral_inference.backends.devices import discover, discover_with_source
from coral_inference.backends.specs import parse_spec, select, spec_list, spec_problems
from coral_inference.config.validate import validate
from coral_inference.errors import BackendError, ConfigError
from coral_inference.runtime.config import RuntimeConfig


def specs_and_states(root):
    return [(d.spec, d.state) for d in discover(str(root))]


def test_no_tree_finds_nothing(tmp_path):
    assert discover(str(tmp_path)) == []
    assert discover(str(tmp_path / "does-not-exist")) == []


def test_pcie_devices_with_their_nodes(tmp_path):
    fake_tree(tmp_path, pci=2)
    found = discover(str(tmp_path))
    assert [(d.spec, d.state, d.path, d.node) for d in found] == [
        ("pci:0", "ready", "/sys/class/apex/apex_0", "/dev/apex_0"),
        ("pci:1", "ready", "/sys/class/apex/apex_1", "/dev/apex_1"),
    ]


def test_pcie_numbering_follows_apex_number_not_text_order(tmp_path):
    for n in (10, 2):
        (tmp_path / f"sys/class/apex/apex_{n}").mkdir(parents=True)
    assert [d.path for d in discover(str(tmp_path))] == ["/sys/class/apex/apex_2", "/sys/class/apex/apex_10"]


def test_pcie_without_dev_node_is_missing_node(tmp_path):
    fake_tree(tmp_path, pci=1, pci_nodes=False)
    assert specs_and_states(tmp_path) == [("pci:0", "missing-node")]


def test_usb_before_and_after_firmware_load(tmp_path):
    fake_tree(tmp_path, usb_new=1)
    assert specs_and_states(tmp_path) == [("usb:0", "uninitialized")]
    # The stick re-enumerates with the Google id once libedgetpu loaded the firmware.
    (tmp_path / "sys/bus/usb/devices/2-1/idVendor").write_text("18d1\n")
    (tmp_path / "sys/bus/usb/devices/2-1/idProduct").write_text("9302\n")
    assert specs_and_states(tmp_path) == [("usb:0", "ready")]


def test_usb_node_from_busnum_devnum_and_other_usb_devices_ignored(tmp_path):
    fake_tree(tmp_path, usb_ready=1, usb_nodes=True)
    other = tmp_path / "sys/bus/usb/devices/1-1"
    other.mkdir(parents=True)
    (other / "idVendor").write_text("046d\n")
    (other / "idProduct").write_text("c52b\n")
    [device] = discover(str(tmp_path))
    assert (device.spec, device.node, device.path) == ("usb:0", "/dev/bus/usb/002/003", "/sys/bus/usb/devices/2-1")


def test_usb_without_its_node_is_missing_node(tmp_path):
    fake_tree(tmp_path, usb_ready=1, usb_nodes=True)
    (tmp_path / "dev/bus/usb/002/003").unlink()
    assert specs_and_states(tmp_path) == [("usb:0", "missing-node")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may open any file: no-permission cannot be staged")
def test_node_without_access_is_no_permission(tmp_path):
    fake_tree(tmp_path, pci=1)
    (tmp_path / "dev/apex_0").chmod(0)
    assert specs_and_states(tmp_path) == [("pci:0", "no-permission")]


def test_mixed_tree_lists_pcie_then_usb_and_a_fake_root_is_read_natively(tmp_path):
    fake_tree(tmp_path, pci=1, usb_ready=1, usb_new=1)
    found, source = discover_with_source(str(tmp_path))
    assert source == "native"
    assert [(d.spec, d.state) for d in found] == [("pci:0", "ready"), ("usb:0", "ready"), ("usb:1", "uninitialized")]


@pytest.mark.parametrize("spec,parsed", [("", (None, None)), (":1", (None, 1)), ("usb", ("usb", None)),
                                         ("usb:2", ("usb", 2)), ("pci", ("pci", None)), ("pci:0", ("pci", 0))])
def test_spec_grammar(spec, parsed):
    assert parse_spec(spec) == parsed


@pytest.mark.parametrize("bad", ["tpu", "usb:", "pci:x", "usb:0:1", " usb", "all2"])
def test_bad_specs_are_config_errors(bad):
    with pytest.raises(ConfigError, match="not valid"):
        parse_spec(bad)


def test_spec_problems_for_lists():
    assert spec_problems("all") == [] and spec_problems(["pci:0", "pci:1"]) == [] and spec_problems(None) == []
    assert [m for _, m in spec_problems([])] == ["empty device list"]
    assert [v for v, _ in spec_problems(["pci:0", "tpu", "all"])] == ["tpu", "all"]
    assert "not a string" in spec_problems([3])[0][1]
    assert spec_list("all") is None and spec_list(None) == [""]


def test_select_by_spec(tmp_path):
    found = discover(str(fake_tree(tmp_path, pci=2, usb_ready=1)))
    assert [d.spec for d in select(found, ["usb", "pci", "pci"])] == ["usb:0", "pci:0", "pci:1"]
    assert [d.spec for d in select(found, [":2"])] == ["usb:0"]
    assert [d.spec for d in select(found, None)] == ["pci:0", "pci:1", "usb:0"]
    with pytest.raises(BackendError, match="only 1 usb device"):
        select(found, ["usb:1"])
    with pytest.raises(BackendError, match="already used"):
        select(found, ["pci:0", "pci:0"])
    with pytest.raises(BackendError, match="no free usb"):
        select(found, ["usb", "usb"])


def _problems(compose, *overrides):
    return validate(RuntimeConfig.from_dictconfig(compose(*overrides))).items


def test_validation_accepts_lists_and_all(compose):
    assert _problems(compose, "backends=edgetpu_multi", "backends.edgetpu_multi.devices=[pci:0,pci:1]") == []
    assert _problems(compose, "backends=edgetpu_multi") == []


def test_validation_names_each_bad_spec_and_the_key(compose):
    problems = _problems(compose, "backends=edgetpu_multi", "backends.edgetpu_multi.devices=[pci:0,tpu:1]",
                         "backends.edgetpu_multi.workers=0")
    keys = {p.key: p for p in problems}
    assert keys["backends.edgetpu_multi.devices"].value == "tpu:1"
    assert "usb:N" in keys["backends.edgetpu_multi.devices"].expected
    assert keys["backends.edgetpu_multi.workers"].value == 0


def test_validation_warns_about_delegate_options_without_an_indexed_spec(compose):
    [warning] = _problems(compose, "backends=edgetpu_single", "+backends.edgetpu_single.delegate_options.performance=max")
    assert warning.severity == "warning" and warning.key == "backends.edgetpu_single.delegate_options"
    assert _problems(compose, "backends=edgetpu_single", "backends.edgetpu_single.devices=usb:0",
                     "+backends.edgetpu_single.delegate_options.performance=max") == []


def test_validation_rejects_an_unknown_interpreter(compose):
    [problem] = _problems(compose, "run.interpreter=tflite-runtime")
    assert problem.key == "run.interpreter" and "ai_edge_litert" in problem.expected


def test_coral_runtime_devices_json_on_a_fake_tree(tmp_path):
    fake_tree(tmp_path / "root", pci=1, usb_new=1)
    proc = run_cli("coral-runtime", "devices", "--json", "--device-root", str(tmp_path / "root"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["count"] == 2 and data["source"] == "native"
    assert [(d["spec"], d["state"], d["path"]) for d in data["devices"]] == [
        ("pci:0", "ready", "/sys/class/apex/apex_0"), ("usb:0", "uninitialized", "/sys/bus/usb/devices/2-1")]


def test_coral_runtime_devices_text_with_the_coral_run_override_and_none_found(tmp_path):
    fake_tree(tmp_path / "root", pci=2)
    proc = run_cli("coral-runtime", "devices", f"platform.device_root={tmp_path / 'root'}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "2 Edge TPU(s)" in proc.stdout and "pci:1" in proc.stdout and "/dev/apex_1" in proc.stdout
    empty = run_cli("coral-runtime", "devices", "--device-root", str(tmp_path), cwd=tmp_path)
    assert "0 Edge TPU(s)" in empty.stdout and "1a6e:089a" in empty.stdout
    bad = run_cli("coral-runtime", "devices", "platform.name=x", cwd=tmp_path)
    assert bad.returncode == 2 and "platform.device_root=DIR" in bad.stderr and "Traceback" not in bad.stderr
    typo = run_cli("coral-runtime", "devices", "--device-root", str(tmp_path / "nope"), cwd=tmp_path)
    assert typo.returncode == 2 and "is not a directory" in typo.stderr


def test_pycoral_is_asked_only_at_the_real_root(tmp_path, monkeypatch):
    """A stand-in for Google's pycoral (not installable here): its list is used for "/" only."""
    import sys
    import types

    listed = [{"type": "pci", "path": "/dev/apex_0"}, {"type": "usb", "path": "/sys/bus/usb/devices/2-1"},
              {"type": "pci", "path": "/dev/apex_1"}]
    module = types.ModuleType("pycoral.utils.edgetpu")
    module.list_edge_tpus = lambda: listed
    for name, mod in (("pycoral", types.ModuleType("pycoral")), ("pycoral.utils", types.ModuleType("pycoral.utils")),
                      ("pycoral.utils.edgetpu", module)):
        monkeypatch.setitem(sys.modules, name, mod)
    found, source = discover_with_source("/")
    assert source == "pycoral"
    assert [(d.spec, d.path, d.node) for d in found] == [
        ("pci:0", "/dev/apex_0", "/dev/apex_0"), ("usb:0", "/sys/bus/usb/devices/2-1", None),
        ("pci:1", "/dev/apex_1", "/dev/apex_1")]
    fake_tree(tmp_path, usb_ready=1)
    assert discover_with_source(str(tmp_path)) == (discover(str(tmp_path)), "native")
    assert [d.spec for d in discover(str(tmp_path))] == ["usb:0"]
