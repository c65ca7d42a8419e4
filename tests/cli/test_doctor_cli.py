"""coral-runtime doctor through the installed console script, text and JSON, on fake boards (device_tree.
coral_board; access judged for --user pi, see tests/backends/test_doctor.py for why), its exit codes (0 all
good, 1 problems, 2 bad input), and coral-run failures that end with the pointer to it."""

from __future__ import annotations

import json

import fake_delegate
from conftest import run_cli
from device_tree import coral_board, fake_tree
from coral_inference.errors import DOCTOR_POINTER


def doctor(tmp_path, root, *args, env=None):
    return run_cli("coral-runtime", "doctor", "--device-root", str(root), "--user", "pi", *args, cwd=tmp_path, env=env)


def doctor_json(tmp_path, root, *args, env=None):
    proc = doctor(tmp_path, root, "--json", *args, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def check(doc, name, subject=None):
    [hit] = [c for c in doc["checks"] if c["check"] == name and (subject is None or c["subject"] == subject)]
    return hit


def test_a_healthy_board_exits_0_in_text_and_json(tmp_path):
    root = coral_board(tmp_path / "board", pci=1, usb=1)
    proc = doctor(tmp_path, root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("coral-runtime doctor: all good")
    assert "ok       pcie.node [pci:0]: pi can open /dev/apex_0" in proc.stdout
    assert "Edge TPUs: pci:0 ready, usb:0 ready" in proc.stdout
    code, doc = doctor_json(tmp_path, root)
    assert code == 0 and doc["ok"] is True and doc["problems"] == 0
    assert doc["user"]["name"] == "pi" and doc["device_root"] == str(root)
    assert doc["config"]["delegate_library"] == "libedgetpu.so.1"
    assert {c["status"] for c in doc["checks"]} <= {"ok", "info"}
    assert set(doc["checks"][0]) == {"check", "subject", "status", "found", "fix", "doc", "data"}


def test_each_broken_board_exits_1_naming_its_fix(tmp_path):
    broken = {}
    root = coral_board(tmp_path / "no_driver", pci=1, usb=0)
    (root / "proc/modules").write_text("")
    broken["driver.modules"] = (root, "sudo modprobe apex")
    root = coral_board(tmp_path / "permissions", pci=1, usb=0)
    (root / "dev/apex_0").chmod(0o600)
    broken["pcie.node"] = (root, 'MODE="0660"')
    root = coral_board(tmp_path / "usb2", pci=0, usb=1)
    (root / "sys/bus/usb/devices/2-1/speed").write_text("480\n")
    broken["usb.speed"] = (root, "USB 3 port")
    root = coral_board(tmp_path / "no_libedgetpu", pci=0, usb=1, libedgetpu=None)
    broken["libedgetpu.found"] = (root, "apt-get install libedgetpu1-std")
    root = coral_board(tmp_path / "uninitialised", pci=0, usb=1)
    (root / "sys/bus/usb/devices/2-1/idVendor").write_text("1a6e\n")
    (root / "sys/bus/usb/devices/2-1/idProduct").write_text("089a\n")
    broken["usb.firmware"] = (root, "coral-run backends=edgetpu_single")
    root = coral_board(tmp_path / "hot", pci=1, usb=0)
    (root / "sys/class/apex/apex_0/temp").write_text("93000\n")
    broken["thermal.temp"] = (root, "heatsink")
    for name, (root, fix) in broken.items():
        proc = doctor(tmp_path, root)
        assert proc.returncode == 1, (name, proc.stdout, proc.stderr)
        anchor = name.replace(".", "-").replace("_", "-")
        assert fix in proc.stdout and f"see: docs/board.md#{anchor}" in proc.stdout, (name, proc.stdout)
        code, doc = doctor_json(tmp_path, root)
        found = check(doc, name)
        assert code == 1 and doc["ok"] is False and found["status"] in ("warning", "error") and fix in found["fix"]
        assert [c["check"] for c in doc["checks"] if c["status"] in ("warning", "error")] == [name], name


def test_tflite_runtime_beside_numpy2_without_installing_it(tmp_path):
    """A dist-info folder on PYTHONPATH is all doctor reads of an installed distribution: tflite-runtime
    2.14.0 'installed' beside this venv's numpy 2, nothing imported."""
    site = tmp_path / "site"
    (site / "tflite_runtime-2.14.0.dist-info").mkdir(parents=True)
    (site / "tflite_runtime-2.14.0.dist-info/METADATA").write_text("Metadata-Version: 2.1\nName: tflite-runtime\n"
                                                                   "Version: 2.14.0\n")
    root = coral_board(tmp_path / "board", pci=0, usb=1)
    env = {"PYTHONPATH": str(site)}
    code, doc = doctor_json(tmp_path, root, env=env)
    package = check(doc, "interpreter.package")
    assert code == 1 and package["status"] == "warning" and "numpy<2" in package["fix"]
    assert package["data"]["module"] == "ai_edge_litert"  # auto passed tflite-runtime over
    code, doc = doctor_json(tmp_path, root, "run.interpreter=tflite_runtime", env=env)
    package = check(doc, "interpreter.package")
    assert code == 1 and package["status"] == "error" and "tflite_runtime 2.14.0 is built for numpy 1.x" in \
        package["found"]


def test_bad_input_exits_2_with_one_message(tmp_path):
    root = coral_board(tmp_path / "board", pci=0, usb=1)
    proc = run_cli("coral-runtime", "doctor", "--device-root", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert proc.returncode == 2 and "platform.device_root" in proc.stderr and "not a directory" in proc.stderr
    proc = doctor(tmp_path, root, "--user", "nobody-here")
    assert proc.returncode == 2 and "--user: no user 'nobody-here'" in proc.stderr
    proc = doctor(tmp_path, root, "platform.clock=turbo")
    assert proc.returncode == 2 and "platform.clock" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_configured_library_and_clock_are_what_doctor_checks(tmp_path):
    root = coral_board(tmp_path / "board", pci=0, usb=1, libedgetpu="libedgetpu1-max 16.0")
    code, doc = doctor_json(tmp_path, root, "platform.clock=max")
    assert code == 0 and check(doc, "libedgetpu.flavour")["status"] == "ok"
    code, doc = doctor_json(tmp_path, root, "platform.delegate_library=/opt/none/libedgetpu.so.1", "platform.clock=max",
                            env={"CORAL_PLATFORM__CLOCK": "std"})
    assert code == 1 and "/opt/none/libedgetpu.so.1 not found" in check(doc, "libedgetpu.found")["found"]


def test_coral_run_failures_doctor_explains_end_with_the_pointer_once(tmp_path):
    root = tmp_path / "root"
    fake_tree(root, usb_ready=1)
    proc = run_cli("coral-run", "backends=edgetpu_single", f"platform.device_root={root}",
                   "platform.delegate_library=libedgetpu-not-here.so.1", cwd=tmp_path)
    assert proc.returncode == 3 and proc.stderr.count(DOCTOR_POINTER) == 1, proc.stderr
    assert proc.stderr.rstrip().endswith(DOCTOR_POINTER.rstrip())
    library = fake_delegate.build(tmp_path / "lib")
    pci = tmp_path / "pci"
    fake_tree(pci, pci=2)
    proc = run_cli("coral-run", "backends=edgetpu_multi", f"platform.device_root={pci}",
                   f"platform.delegate_library={library}", "backends.edgetpu_multi.min_devices=2", cwd=tmp_path,
                   env={"FAKE_EDGETPU_DEVICES": "pci:0"})
    assert proc.returncode == 3 and "1 of 2 Edge TPU(s) started" in proc.stderr and "pci:1 failed" in proc.stderr
    assert proc.stderr.count(DOCTOR_POINTER) == 1, proc.stderr  # a device's failure quoted, one pointer
    (tmp_path / "empty").mkdir()
    proc = run_cli("coral-run", "backends=edgetpu_single", f"platform.device_root={tmp_path / 'empty'}", cwd=tmp_path)
    assert proc.returncode == 3 and "found none" in proc.stderr and proc.stderr.count(DOCTOR_POINTER) == 1
    proc = run_cli("coral-run", "run.warmup=-1", cwd=tmp_path)  # a config error: nothing doctor explains
    assert proc.returncode == 2 and "coral-runtime doctor" not in proc.stderr
