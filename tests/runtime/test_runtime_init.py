"""runtime.init on fake device trees and real CPU models."""

import numpy as np
import pytest

from conftest import coral_file
from device_tree import fake_tree
from coral_inference.errors import BackendError, ConfigError
from coral_inference.runtime.config import RuntimeConfig
from coral_inference.runtime.init import init


@pytest.mark.parametrize(
    "tree,expected",
    [
        (dict(), "cpu"),
        (dict(pci=1), "m2_pcie"),
        (dict(pci=2), "m2_dual_edgetpu"),
        (dict(usb_ready=1), "usb_accelerator"),
        (dict(pci=1, model="Freescale i.MX8MQ Phanbell"), "coral_devboard"),
        (dict(usb_new=1, model="Raspberry Pi 4 Model B Rev 1.4"), "rpi_usb"),
    ],
)
def test_platform_auto_detection(compose, tmp_path, tree, expected):
    fake_tree(tmp_path, **tree)
    rc = RuntimeConfig.from_dictconfig(compose("backends=cpu", f"platform.device_root={tmp_path}"))
    context = init(rc)
    assert context.platform["name"] == expected
    assert context.platform["detected_by"] == "auto"


def test_auto_backend_without_tpu_runs_the_cpu_and_is_ok(compose, tmp_path):
    rc = RuntimeConfig.from_dictconfig(compose(f"platform.device_root={tmp_path}"))
    context = init(rc)
    assert context.status == "ok"
    [state] = context.backends
    assert state.device == "cpu" and state.selfcheck["passed"]


def test_edgetpu_backend_with_found_device_but_no_runtime_fails_with_delegate_message(compose, tmp_path):
    fake_tree(tmp_path, usb_ready=1)
    rc = RuntimeConfig.from_dictconfig(compose("backends=edgetpu_single", f"platform.device_root={tmp_path}",
                                               "platform.delegate_library=libedgetpu-missing.so.1"))
    with pytest.raises(BackendError, match="Edge TPU runtime is not installed") as info:
        init(rc)
    assert info.value.context.backends[0].status == "failed"


def test_cpu_workers_build_one_interpreter_each(compose):
    rc = RuntimeConfig.from_dictconfig(compose("backends=cpu", "backends.cpu.workers=2"))
    context = init(rc)
    assert len(context.backend("cpu").workers) == 2


def test_edgetpu_model_on_cpu_backend_says_why_and_the_two_ways_out(compose):
    path = coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite")
    rc = RuntimeConfig.from_dictconfig(compose("backends=cpu", f"model.path={path}"))
    with pytest.raises(ConfigError) as info:
        init(rc)
    text = info.value.render()
    assert "compiled for the Edge TPU" in text and "model.cpu_path" in text and "edgetpu_single" in text
    assert "unresolved custom op" not in text


def test_real_coral_model_classifies_grace_hopper(compose):
    cv2 = pytest.importorskip("cv2")
    model = coral_file("mobilenet_v2_1.0_224_quant.tflite")
    image = coral_file("grace_hopper.bmp")
    rc = RuntimeConfig.from_dictconfig(compose("backends=cpu", f"model.path={model}"))
    context = init(rc)
    backend = context.backend("cpu")
    [detail] = backend.input_details
    _, h, w, _ = detail["shape"]
    rgb = cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB)
    x = cv2.resize(rgb, (int(w), int(h)), interpolation=cv2.INTER_LINEAR)[np.newaxis].astype(np.uint8)
    [scores] = backend.infer([x])
    assert int(np.argmax(scores[0])) == 653  # military uniform
    assert context.backends[0].model["sha256"] == (
        "7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776"
    )
