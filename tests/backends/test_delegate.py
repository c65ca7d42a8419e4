"""Delegate loading through a real shared library (tests/helpers/fake_edgetpu_delegate.c, built here with
the C compiler) that speaks the TFLite external-delegate ABI, on fake device trees."""

import json

import pytest

import fake_delegate
from conftest import coral_file, run_cli, summaries
from device_tree import fake_tree
from coral_inference.errors import BackendError
from coral_inference.runtime.config import RuntimeConfig
from coral_inference.runtime.init import init


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return fake_delegate.build(tmp_path_factory.mktemp("fake_delegate"))


@pytest.fixture
def delegate_log(tmp_path, monkeypatch):
    """The options each delegate creation received, one dict per call."""
    path = tmp_path / "delegate.log"
    monkeypatch.setenv("FAKE_EDGETPU_LOG", str(path))
    monkeypatch.delenv("FAKE_EDGETPU_DEVICES", raising=False)

    def calls():
        if not path.exists():
            return []
        return [dict(kv.split("=", 1) for kv in line.split(";") if kv) for line in path.read_text().splitlines()]

    return calls


def start(compose, library, root, *overrides):
    rc = RuntimeConfig.from_dictconfig(compose(f"platform.device_root={root}", f"platform.delegate_library={library}",
                                               *overrides))
    return init(rc)


def test_single_device_runs_a_cpu_model_through_the_delegate(compose, tmp_path, library, delegate_log):
    fake_tree(tmp_path, usb_ready=1)
    context = start(compose, library, tmp_path, "backends=edgetpu_single", "platform.clock=max")
    [state] = context.backends
    assert state.status == "ok" and state.device == "usb:0"
    assert state.delegate["library"] == str(library) and state.delegate["clock"] == "max"
    assert state.devices[0]["path"] == "/sys/bus/usb/devices/2-1"
    assert state.fallback == {"policy": "error", "taken": False, "reason": None}
    assert state.selfcheck["passed"]  # the built-in model really ran, delegate attached
    assert delegate_log() == [{}]  # devices: "" -> no device option: libedgetpu picks the first


def test_options_and_indexed_device_reach_the_library(compose, tmp_path, library, delegate_log):
    fake_tree(tmp_path, usb_ready=2)
    context = start(compose, library, tmp_path, "backends=edgetpu_single", "backends.edgetpu_single.devices=usb:1",
                    "+backends.edgetpu_single.delegate_options.usb_max_bulk_in_queue_length=16")
    assert delegate_log() == [{"usb_max_bulk_in_queue_length": "16", "device": "usb:1"}]
    state = context.backends[0]
    assert state.delegate["options"] == {"usb_max_bulk_in_queue_length": "16"} and state.warnings == []


def test_options_with_an_unindexed_spec_are_passed_and_warned_about(compose, tmp_path, library, delegate_log):
    fake_tree(tmp_path, pci=1)
    context = start(compose, library, tmp_path, "backends=edgetpu_single", "backends.edgetpu_single.devices=pci",
                    "+backends.edgetpu_single.delegate_options.performance=max")
    assert delegate_log() == [{"performance": "max", "device": "pci"}]
    [warning] = context.backends[0].warnings
    assert "ignored by libedgetpu" in warning and "'pci'" in warning


def test_pool_of_two_pcie_devices_gets_one_delegate_each(compose, tmp_path, library, delegate_log):
    fake_tree(tmp_path, pci=2, usb_ready=1)
    context = start(compose, library, tmp_path, "backends=edgetpu_multi",
                    "backends.edgetpu_multi.devices=[pci,pci]")
    state = context.backends[0]
    assert [c["device"] for c in delegate_log()] == ["pci:0", "pci:1"]
    assert state.device == "pci:0,pci:1" and state.workers == 2
    assert [w["label"] for w in state.pool] == ["pci:0", "pci:1"]


def test_all_devices_below_min_devices_fails_before_any_delegate(compose, tmp_path, library, delegate_log):
    fake_tree(tmp_path, pci=1)
    with pytest.raises(BackendError, match=r"expected at least 2 Edge TPU\(s\).*found 1: pci:0"):
        start(compose, library, tmp_path, "backends=edgetpu_multi")
    assert delegate_log() == []


def test_unknown_device_with_an_accessible_node_reads_as_busy(compose, tmp_path, library, delegate_log, monkeypatch):
    fake_tree(tmp_path, pci=1)
    monkeypatch.setenv("FAKE_EDGETPU_DEVICES", "usb:0")
    with pytest.raises(BackendError) as info:
        start(compose, library, tmp_path, "backends=edgetpu_single", "backends.edgetpu_single.devices=pci:0")
    text = info.value.render()
    assert "could not open pci:0" in text and "fake delegate: unknown device" in text
    assert "busy" in text and "lsof /dev/apex_0" in text


def test_missing_node_points_at_the_driver_and_container_mapping(compose, tmp_path, library, delegate_log, monkeypatch):
    fake_tree(tmp_path, pci=1, pci_nodes=False)
    monkeypatch.setenv("FAKE_EDGETPU_DEVICES", "usb:0")
    with pytest.raises(BackendError) as info:
        start(compose, library, tmp_path, "backends=edgetpu_single", "backends.edgetpu_single.devices=pci:0")
    text = info.value.render()
    assert "--device /dev/apex_0" in text and "gasket" in text


def test_uninitialized_usb_points_at_udev_rules(compose, tmp_path, library, delegate_log, monkeypatch):
    fake_tree(tmp_path, usb_new=1)
    monkeypatch.setenv("FAKE_EDGETPU_DEVICES", "pci:0")
    with pytest.raises(BackendError, match="firmware.*plugdev"):
        start(compose, library, tmp_path, "backends=edgetpu_single", "backends.edgetpu_single.devices=usb:0")


def test_a_library_that_is_no_delegate_plugin(compose, tmp_path):
    import ctypes.util

    libm = ctypes.util.find_library("m") or pytest.skip("no libm to load")
    fake_tree(tmp_path, pci=1)
    with pytest.raises(BackendError, match="not a TFLite delegate plugin"):
        start(compose, libm, tmp_path, "backends=edgetpu_single")


def test_edgetpu_model_the_delegate_does_not_take_says_which_model_and_the_ways_out(compose, tmp_path, library,
                                                                                       delegate_log):
    model = coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite")
    fake_tree(tmp_path, usb_ready=1)
    with pytest.raises(BackendError) as info:
        start(compose, library, tmp_path, "backends=edgetpu_single", f"model.path={model}")
    text = info.value.render()
    assert str(model) in text and "did not take its edgetpu-custom-op" in text and "model.cpu_path" in text
    assert "Encountered unresolved custom op" not in text


def test_fallback_to_the_cpu_twin_is_degraded_with_the_reason(compose, tmp_path, library, delegate_log):
    model = coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite")
    twin = coral_file("mobilenet_v1_0.25_128_quant.tflite")
    fake_tree(tmp_path, usb_ready=1)
    context = start(compose, library, tmp_path, "backends=edgetpu_single", f"model.path={model}",
                    f"model.cpu_path={twin}", "backends.edgetpu_single.fallback=cpu")
    state = context.backends[0]
    assert context.status == "degraded" and state.device == "cpu"
    assert state.fallback["taken"] and "edgetpu-custom-op" in state.fallback["reason"]
    assert state.model["key"] == "model.cpu_path" and state.model["path"] == str(twin)
    assert state.model["pair"] == {"path": str(model), "cpu_path": str(twin), "segments": []}
    assert state.delegate is None and state.devices == []


def test_coral_run_summary_records_devices_delegate_model_and_timings(tmp_path, library):
    fake_tree(tmp_path / "root", pci=2)
    log = tmp_path / "delegate.log"
    proc = run_cli("coral-run", "backends=edgetpu_multi", f"platform.device_root={tmp_path / 'root'}",
                   f"platform.delegate_library={library}", "run.warmup=3", cwd=tmp_path,
                   env={"FAKE_EDGETPU_LOG": str(log)})
    assert proc.returncode == 0, proc.stderr
    assert f"delegate {library} (clock std)" in proc.stdout
    [summary] = summaries(tmp_path / "outputs")
    assert summary["platform"]["name"] == "m2_dual_edgetpu"
    assert [d["spec"] for d in summary["devices"]] == ["pci:0", "pci:1"]
    [backend] = summary["backends"]
    assert backend["status"] == "ok" and [d["node"] for d in backend["devices"]] == ["/dev/apex_0", "/dev/apex_1"]
    assert backend["delegate"]["library"] == str(library) and backend["delegate"]["device_option"] == ["pci:0", "pci:1"]
    assert backend["fallback"]["taken"] is False
    assert backend["model"]["inputs"][0]["shape"] == [1, 8] and backend["model"]["operators"] == {"FULLY_CONNECTED": 1}
    assert {"init", "first_inference", "warmup_avg"} <= set(backend["timings_ms"])
    assert len(log.read_text().splitlines()) == 2
    json.dumps(summary)


def test_coral_run_missing_library_exits_3_without_traceback(tmp_path):
    fake_tree(tmp_path / "root", usb_ready=1)
    proc = run_cli("coral-run", "backends=edgetpu_single", f"platform.device_root={tmp_path / 'root'}",
                   "platform.delegate_library=libedgetpu-not-here.so.1", cwd=tmp_path)
    assert proc.returncode == 3
    assert "apt-get install libedgetpu1-std" in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_real_coral_model_classifies_through_the_delegate_pool(compose, tmp_path, library, delegate_log):
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    model = coral_file("mobilenet_v1_0.25_128_quant.tflite")
    image = coral_file("grace_hopper.bmp")
    fake_tree(tmp_path, pci=2)
    context = start(compose, library, tmp_path, "backends=edgetpu_multi", f"model.path={model}")
    backend = context.backend("edgetpu_multi")
    _, h, w, _ = backend.input_details[0]["shape"]
    rgb = cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB)
    x = cv2.resize(rgb, (int(w), int(h)), interpolation=cv2.INTER_LINEAR)[np.newaxis].astype(np.uint8)
    results = backend.infer_many([[x]] * 4)
    assert [int(np.argmax(r[0][0])) for r in results] == [401] * 4  # academic gown, on both workers
    assert sum(wk["requests"] for wk in backend.pool.health()) >= 4
    context.close()


def test_a_model_not_compiled_for_the_edge_tpu_is_warned_about(compose, tmp_path, library, delegate_log):
    """The delegate loads, but takes none of a CPU model's ops: the run is what was asked for (ok), and the
    warning says the Edge TPU runs none of it."""
    model = coral_file("mobilenet_v1_0.25_128_quant.tflite")
    fake_tree(tmp_path, usb_ready=1)
    context = start(compose, library, tmp_path, "backends=edgetpu_single", f"model.path={model}")
    state = context.backends[0]
    assert state.status == "ok" and state.device == "usb:0"
    [warning] = state.warnings
    assert "model.path" in warning and "not compiled for the Edge TPU" in warning and "edgetpu_compiler" in warning
    context.close()


def test_pool_with_a_failing_device_runs_degraded_on_the_rest(compose, tmp_path, library, delegate_log, monkeypatch):
    """devices: all finds two Edge TPUs, pci:1 fails to open (libedgetpu returns NULL): with min_devices=1 the
    pool runs on pci:0, degraded, and the reason and a warning name pci:1 and the delegate's error."""
    fake_tree(tmp_path, pci=2)
    monkeypatch.setenv("FAKE_EDGETPU_DEVICES", "pci:0")
    context = start(compose, library, tmp_path, "backends=edgetpu_multi", "backends.edgetpu_multi.min_devices=1")
    state = context.backends[0]
    assert [c["device"] for c in delegate_log()] == ["pci:0", "pci:1"]
    assert context.status == "degraded" and state.status == "degraded"
    assert state.workers == 1 and [w["label"] for w in state.pool] == ["pci:0"]
    assert state.device == "pci:0" and state.delegate["device_option"] == ["pci:0"]
    assert "1 of 2 Edge TPU(s)" in state.reason and "pci:1 failed" in state.reason
    assert "could not open pci:1" in state.reason and "fake delegate: unknown device" in state.reason
    assert state.reason in state.warnings
    assert state.selfcheck["passed"]  # the remaining worker really serves
    context.close()


def test_coral_run_pool_below_min_devices_after_a_failing_device_exits_3(tmp_path, library):
    fake_tree(tmp_path / "root", pci=2)
    proc = run_cli("coral-run", "backends=edgetpu_multi", f"platform.device_root={tmp_path / 'root'}",
                   f"platform.delegate_library={library}", "backends.edgetpu_multi.min_devices=2", cwd=tmp_path,
                   env={"FAKE_EDGETPU_DEVICES": "pci:0"})
    assert proc.returncode == 3, proc.stderr
    assert "1 of 2 Edge TPU(s) started" in proc.stderr and "min_devices=2" in proc.stderr
    assert "pci:1 failed" in proc.stderr and "fake delegate: unknown device" in proc.stderr
    assert "Traceback" not in proc.stderr
