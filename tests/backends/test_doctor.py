"""coral-runtime doctor's checks (coral_inference/backends/doctor/) on fake boards: a healthy one, then one
broken thing at a time, each naming its fix. The board is built by device_tree.coral_board; the facts no tree
holds (the user, the Python distributions' versions) are the Board's inputs, so nothing is installed to
simulate a version mismatch.

Permissions are judged for user pi (uid 4242, from the fake etc/passwd), never for the test runner: run as
root, os.access() says yes to every node, so a check built on it could never see "no permission" here. The
doctor compares the node's owner, group and mode with the user's uid and groups instead, as the kernel does
for anyone but root."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device_tree import HEALTHY_VERSIONS, coral_board
from coral_inference.backends.doctor import CHECKS, Board, Result, exit_code, report, run
from coral_inference.backends.doctor.result import STATUSES
from coral_inference.files import FileProblem


def board(root, versions=HEALTHY_VERSIONS, user="pi", **kw) -> Board:
    made = Board(str(root), versions=dict(versions), **kw)
    if user:
        made.user = made.accounts.named(user)
    return made


def results(root, **kw):
    return run(board(root, **kw))


def only(found, check, subject=None):
    hits = [r for r in found if r.check == check and (subject is None or r.subject == subject)]
    assert len(hits) == 1, (check, subject, hits)
    return hits[0]


def problems(found):
    return [r for r in found if r.problem]


def test_a_healthy_board_has_no_problem(tmp_path):
    root = coral_board(tmp_path, pci=1, usb=1)
    found = results(root)
    assert problems(found) == [], [r.to_dict() for r in problems(found)]
    assert exit_code(found) == 0
    assert {r.check.split(".")[0] for r in found} == set(CHECKS)
    assert all(r.status == "ok" for r in found), [r.to_dict() for r in found if r.status != "ok"]
    doc = report(board(root), found)
    assert doc["ok"] and doc["problems"] == 0 and [d["spec"] for d in doc["devices"]] == ["pci:0", "usb:0"]


def test_without_any_edge_tpu_the_device_checks_are_skipped_with_the_reason(tmp_path):
    root = coral_board(tmp_path, pci=0, usb=0)
    found = results(root)
    for check in ("pcie.device", "driver.modules", "driver.page_size", "usb.device", "thermal.temp"):
        assert only(found, check).status == "skipped" and only(found, check).found
    assert problems(found) == []


def test_no_driver_names_gasket_dkms(tmp_path):
    root = coral_board(tmp_path, pci=1, usb=0)
    (root / "proc/modules").write_text("")
    for entry in (root / "sys/class/apex").iterdir():  # without apex, the kernel has no apex class
        for f in entry.iterdir():
            f.unlink()
        entry.rmdir()
    (root / "var/lib/dpkg/status").write_text("")
    found = results(root)
    modules = only(found, "driver.modules")
    assert modules.status == "error" and "apex and gasket not loaded" in modules.found
    assert "apt-get install gasket-dkms" in modules.fix
    assert only(found, "pcie.device").status == "info" and "0000:01:00.0" in only(found, "pcie.device").found
    assert exit_code(found) == 1


def test_no_driver_on_a_new_kernel_names_the_source_build(tmp_path):
    root = coral_board(tmp_path, pci=1, usb=0, kernel="6.8.0-45-generic")
    (root / "proc/modules").write_text("")
    modules = only(results(root), "driver.modules")
    assert modules.status == "error" and "DKMS build most likely failed" in modules.found
    assert "git clone https://github.com/google/gasket-driver" in modules.fix and "debuild" in modules.fix
    assert only(results(root), "driver.kernel").status == "info"


def test_a_16k_page_kernel_on_a_raspberry_pi_5_names_kernel8(tmp_path):
    root = coral_board(tmp_path, pci=1, usb=0, kernel="6.6.31+rpt-rpi-2712", page_kb=16)
    (root / "proc/device-tree").mkdir(parents=True)
    (root / "proc/device-tree/model").write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\x00")
    page = only(results(root), "driver.page_size")
    assert page.status == "error" and "16 KiB" in page.found
    assert "kernel=kernel8.img" in page.fix and "/boot/firmware/config.txt" in page.fix


def test_wrong_permissions_on_the_apex_node(tmp_path):
    root = coral_board(tmp_path, pci=1, usb=0)
    (root / "dev/apex_0").chmod(0o600)  # the group may not read and write it
    node = only(results(root), "pcie.node")
    assert node.status == "error" and "pi cannot open /dev/apex_0" in node.found and "0600" in node.found
    assert 'MODE="0660"' in node.fix


def test_a_user_outside_the_group_is_told_the_usermod_command(tmp_path):
    root = coral_board(tmp_path, pci=1, usb=1)
    group = root / "etc/group"
    group.write_text(group.read_text().replace("apex:x:4300:pi", "apex:x:4300:").replace(
        f"apex:x:{os.getgid()}:pi", f"apex:x:{os.getgid()}:"))
    found = results(root)
    assert only(found, "pcie.node").status == "error"
    assert "sudo usermod -aG apex pi" in only(found, "pcie.node").fix
    membership = only(found, "udev.group", "apex")
    assert membership.status == "error" and "sudo usermod -aG apex pi" in membership.fix
    assert only(found, "udev.group", "plugdev").status == "ok"


def test_root_may_open_any_node_and_the_current_user_is_the_default(tmp_path):
    root = coral_board(tmp_path, pci=1, usb=0)
    (root / "dev/apex_0").chmod(0o600)
    found = run(board(root, user=None))  # this process's user: os.getuid()
    node = only(found, "pcie.node")
    if os.getuid() == 0:
        assert node.status == "ok" and "root may open any node" in node.found
    else:  # the runner owns the file: the owner bits (rw) decide
        assert node.status == "ok" and "its mode bits allow it" in node.found


def test_a_missing_apex_node_points_at_the_container_mapping(tmp_path):
    root = coral_board(tmp_path, pci=1, usb=0)
    (root / "dev/apex_0").unlink()
    node = only(results(root), "pcie.node")
    assert node.status == "error" and "--device /dev/apex_0" in node.fix


def test_usb2_link_is_a_warning_naming_the_usb3_port(tmp_path):
    root = coral_board(tmp_path, pci=0, usb=1)
    (root / "sys/bus/usb/devices/2-1/speed").write_text("480\n")
    speed = only(results(root), "usb.speed")
    assert speed.status == "warning" and "480 Mb/s (USB 2)" in speed.found
    assert "USB 3 port" in speed.fix and "3x slower" in speed.fix


def test_uninitialised_usb_id_names_the_first_run_and_the_container_mapping(tmp_path):
    root = coral_board(tmp_path, pci=0, usb=1)
    (root / "sys/bus/usb/devices/2-1/idVendor").write_text("1a6e\n")
    (root / "sys/bus/usb/devices/2-1/idProduct").write_text("089a\n")
    found = results(root)
    firmware = only(found, "usb.firmware")
    assert firmware.status == "warning" and "1a6e:089a" in firmware.found
    assert "coral-run backends=edgetpu_single" in firmware.fix and "/dev/bus/usb" in firmware.fix
    assert only(found, "usb.speed").status == "skipped"  # judged after the firmware loads


def test_a_usb_node_without_the_udev_rule(tmp_path):
    root = coral_board(tmp_path, pci=0, usb=1)
    (root / "lib/udev/rules.d/60-libedgetpu1-std.rules").unlink()
    node = root / "dev/bus/usb/002/003"
    os.chown(node, -1, 0) if os.getuid() == 0 else None
    node.chmod(0o664)  # what the kernel gives a USB node without a rule: root:root, others read-only
    found = results(root)
    rule = only(found, "udev.rule", "usb")
    assert rule.status == "warning" and "1a6e, 18d1" in rule.found and "udevadm" in rule.fix
    if os.getuid() == 0:
        usb = only(found, "usb.node")
        assert usb.status == "error" and "root:root 0664" in usb.found and "60-edgetpu.rules" in usb.fix


def test_missing_libedgetpu_names_the_package(tmp_path):
    root = coral_board(tmp_path, pci=0, usb=1, libedgetpu=None)
    found = results(root)
    lib = only(found, "libedgetpu.found")
    assert lib.status == "error" and "libedgetpu.so.1 not found" in lib.found
    assert "/usr/lib/aarch64-linux-gnu" in lib.found  # the folder of etc/ld.so.conf.d was searched
    assert "apt-get install libedgetpu1-std" in lib.fix and "platform.delegate_library" in lib.fix
    assert only(found, "interpreter.libedgetpu").status == "skipped"


def test_a_library_that_is_no_delegate_plugin(tmp_path):
    root = coral_board(tmp_path, pci=0, usb=1)
    (root / "usr/lib/aarch64-linux-gnu/libedgetpu.so.1.0").write_bytes(b"\x7fELF" + b"\x00" * 100)
    lib = only(results(root), "libedgetpu.found")
    assert lib.status == "error" and "not a TFLite delegate plugin" in lib.found


def test_the_max_runtime_with_platform_clock_std_is_a_warning(tmp_path):
    root = coral_board(tmp_path, pci=0, usb=1, libedgetpu="libedgetpu1-max 16.0")
    flavour = only(results(root), "libedgetpu.flavour")
    assert flavour.status == "warning" and "max clock" in flavour.found
    assert "platform.clock=max" in flavour.fix
    assert only(results(root, clock="max"), "libedgetpu.flavour").status == "ok"


def test_the_flavour_from_the_runtime_archive_path(tmp_path):
    root = coral_board(tmp_path, pci=0, usb=1, libedgetpu=None)
    lib = root / "opt/edgetpu_runtime/libedgetpu/direct/aarch64"
    lib.mkdir(parents=True)
    (lib / "libedgetpu.so.1").write_bytes(b"tflite_plugin_create_delegate")
    flavour = only(results(root, library="/opt/edgetpu_runtime/libedgetpu/direct/aarch64/libedgetpu.so.1",
                           clock="max"), "libedgetpu.flavour")
    assert flavour.status == "ok" and flavour.data["flavour"] == "max" and flavour.data["from"] == "path"


def test_tflite_runtime_beside_numpy2_names_numpy1(tmp_path):
    root = coral_board(tmp_path, pci=0, usb=1)
    versions = {"numpy": "2.1.3", "tflite-runtime": "2.14.0"}
    package = only(results(root, versions=versions), "interpreter.package")
    assert package.status == "error" and "numpy 2.1.3" in package.found and "numpy<2" in package.fix
    # with ai-edge-litert beside it, auto runs that and says why tflite-runtime was passed over
    package = only(results(root, versions={**versions, "ai-edge-litert": "1.2.0"}), "interpreter.package")
    assert package.status == "warning" and package.data["module"] == "ai_edge_litert" and "numpy<2" in package.fix


def test_no_interpreter_names_ai_edge_litert(tmp_path):
    root = coral_board(tmp_path, pci=0, usb=1)
    package = only(results(root, versions={"numpy": "2.1.3"}), "interpreter.package")
    assert package.status == "error" and "pip install ai-edge-litert" in package.fix
    explicit = only(results(root, versions={"numpy": "2.1.3"}, interpreter="tensorflow"), "interpreter.package")
    assert explicit.status == "error" and "tensorflow is not installed" in explicit.found


def test_libedgetpu_built_for_another_tensorflow_names_the_symptom_and_the_fix(tmp_path):
    root = coral_board(tmp_path, pci=0, usb=1, libedgetpu="libedgetpu1-std 16.0tf2.17.1-1.bookworm")
    fit = only(results(root, versions={"numpy": "1.26.4", "tflite-runtime": "2.14.0"}), "interpreter.libedgetpu")
    assert fit.status == "warning" and "TensorFlow 2.17" in fit.found and "2.14" in fit.found
    assert "Failed to load delegate from libedgetpu.so.1" in fit.found and "feranick/libedgetpu" in fit.fix
    same = only(results(root, versions={"numpy": "1.26.4", "tflite-runtime": "2.17.1"}), "interpreter.libedgetpu")
    assert same.status == "ok"
    litert = only(results(root, versions={"numpy": "2.1.3", "ai-edge-litert": "1.2.0"}), "interpreter.libedgetpu")
    assert litert.status == "info"  # its version does not name its TensorFlow: said, not judged


def test_a_hot_apex_is_throttled_and_names_cooling(tmp_path):
    root = coral_board(tmp_path, pci=1, usb=0)
    (root / "sys/class/apex/apex_0/temp").write_text("91100\n")
    temp = only(results(root), "thermal.temp")
    assert temp.status == "warning" and "91.1 °C" in temp.found and "trip_point1_temp" in temp.found
    assert "heatsink" in temp.fix and "libedgetpu1-std" in temp.fix
    (root / "sys/class/apex/apex_0/temp").write_text("100500\n")
    assert only(results(root), "thermal.temp").status == "error"
    (root / "sys/class/apex/apex_0/temp").unlink()
    assert only(results(root), "thermal.temp").status == "skipped"


def test_a_dual_card_showing_one_tpu(tmp_path):
    root = coral_board(tmp_path, pci=1, usb=0)
    count = only(results(root, platform={"name": "m2_dual_edgetpu", "max_devices": 2, "edgetpu_types": ["pci"]}),
                 "pcie.count")
    assert count.status == "warning" and "one PCIe lane" in count.fix


def test_a_fifo_in_place_of_a_sysfs_file_is_bad_input_not_a_hang(tmp_path):
    root = coral_board(tmp_path, pci=0, usb=1)
    speed = root / "sys/bus/usb/devices/2-1/speed"
    speed.unlink()
    os.mkfifo(speed)
    with pytest.raises(FileProblem, match="FIFO"):
        results(root)


TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["480", "5000", "0x1ac1", "-5", "1e9", "", "\x00", "apex"]))
FILES = ["sys/bus/usb/devices/2-1/speed", "sys/bus/usb/devices/2-1/idProduct", "sys/class/apex/apex_0/temp",
         "sys/class/apex/apex_0/trip_point0_temp", "sys/class/apex/apex_0/hw_temp_warn2_en", "proc/modules",
         "proc/sys/kernel/osrelease", "proc/self/smaps", "etc/group", "etc/passwd", "var/lib/dpkg/status",
         "etc/ld.so.conf", "etc/udev/rules.d/65-apex.rules", "sys/bus/pci/devices/0000:01:00.0/vendor",
         "sys/bus/usb/devices/2-1/busnum"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(FILES), TEXT, max_size=6))
def test_any_file_contents_give_results_never_an_exception(tmp_path_factory, changes):
    root = coral_board(tmp_path_factory.mktemp("board"), pci=1, usb=1)
    for name, text in changes.items():
        (root / name).write_text(text)
    made = Board(str(root), versions=dict(HEALTHY_VERSIONS))
    try:
        made.user = made.accounts.named("pi")
    except ValueError:
        pass  # etc/passwd was rewritten: the current user it is
    found = run(made)
    assert all(r.status in STATUSES and r.found for r in found)
    assert not [r for r in found if "check failed" in r.found], [r.to_dict() for r in found]
    assert all(r.fix for r in found if r.problem)


def test_every_check_has_its_section_in_docs_board_md():
    """Every check id the modules can report (and each module, for a check that fails) links to a section
    of docs/board.md that exists: `doc` in the JSON and `see:` in the text point there."""
    import re

    from conftest import REPO

    page = (REPO / "docs/board.md").read_text()
    anchors = set(re.findall(r"\{#([a-z0-9-]+)\}", page))
    ids = set(CHECKS)
    for name in CHECKS:
        source = (REPO / "coral_inference/backends/doctor" / f"{name}.py").read_text()
        ids |= {f"{part}.{sub}" for part, sub in re.findall(rf'"({"|".join(CHECKS)})\.([a-z_]+)"', source)}
    assert len(ids) > 20
    missing = sorted(i for i in ids if i.replace(".", "-").replace("_", "-") not in anchors)
    assert missing == []
    assert Result("driver.page_size", "ok", "x").doc == "docs/board.md#driver-page-size"
