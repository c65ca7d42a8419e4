"""The Edge TPU timing double (tests/helpers/edgetpu_double.c) on Coral's real Edge-TPU-compiled models, through
the real interpreter's load_delegate: it claims the edgetpu-custom-op nodes, writes outputs of the right shapes
and types, holds each invoke for the device time without the host CPU, serializes one device and runs two at
once, and refuses what libedgetpu refuses."""

import threading
import time

import numpy as np
import pytest

import edgetpu_double
from conftest import coral_file
from device_tree import fake_tree

CLASSIFIER = "mobilenet_v1_0.25_128_quant_edgetpu.tflite"
SEGMENTS = ("ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite",
            "ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite")


def provider():
    from coral_inference.backends.interpreter import get_provider

    return get_provider("auto")


def interpreter(library, model, **options):
    p = provider()
    delegate = p.load_delegate(str(library), {k: str(v) for k, v in options.items()})
    it = p.Interpreter(model_path=str(model), experimental_delegates=[delegate])
    it.allocate_tensors()
    return it


def feed(it, seed=0):
    detail = it.get_input_details()[0]
    x = np.random.default_rng(seed).integers(0, 256, detail["shape"]).astype(detail["dtype"])
    it.set_tensor(detail["index"], x)
    return x


def invoke_ms(it, count):
    times = []
    for _ in range(count):
        start = time.perf_counter()
        it.invoke()
        times.append((time.perf_counter() - start) * 1000)
    return times


def test_without_the_double_the_compiled_model_does_not_even_allocate():
    p = provider()
    it = p.Interpreter(model_path=str(coral_file(CLASSIFIER)))
    with pytest.raises(RuntimeError, match="edgetpu-custom-op"):
        it.allocate_tensors()


def test_claims_the_custom_op_and_writes_the_documented_outputs(double_library, tmp_path):
    log = tmp_path / "double.log"
    model = coral_file(CLASSIFIER)
    it = interpreter(double_library, model, device="usb:0", log=log)
    [out] = it.get_output_details()
    seen = []
    for seed in (1, 2):
        x = feed(it, seed)
        it.invoke()
        y = it.get_tensor(out["index"])
        assert y.shape == (1, 1001) and y.dtype == np.uint8
        np.testing.assert_array_equal(y, edgetpu_double.expected_output(x, 0, out["shape"], out["dtype"]))
        seen.append(y.copy())
    assert not np.array_equal(*seen)  # different inputs, different outputs
    [create, claim] = edgetpu_double.read_log(log)
    assert (create["event"], create["device"], claim["event"]) == ("create", "usb:0", "claim")
    assert claim["signature"] == edgetpu_double.signatures(model)[0] == "1x128x128x3->1x1001"


def test_only_the_edgetpu_nodes_are_claimed_the_rest_runs_on_the_cpu(double_library, tmp_path):
    """Segment 1 of Coral's SSD: the custom op on the 'device', then the real TFLite_Detection_PostProcess."""
    log = tmp_path / "double.log"
    it = interpreter(double_library, coral_file(SEGMENTS[1]), device="pci:0", log=log)
    feed(it)
    it.invoke()
    outs = [it.get_tensor(d["index"]) for d in it.get_output_details()]
    assert sorted(o.shape for o in outs) == [(1,), (1, 20), (1, 20), (1, 20, 4)]
    assert all(o.dtype == np.float32 for o in outs)
    count = next(o for o in outs if o.shape == (1,))
    assert 0 < count[0] <= 20
    assert [r["node"] for r in edgetpu_double.read_log(log) if r["event"] == "claim"] == ["0"]


def test_invoke_holds_the_device_time_without_the_host_cpu(double_library):
    it = interpreter(double_library, coral_file(CLASSIFIER), device="usb:0", device_ms=20)
    feed(it)
    cpu = time.process_time()
    times = invoke_ms(it, 25)
    cpu_ms = (time.process_time() - cpu) * 1000
    assert 19.5 <= float(np.median(times)) <= 23, times
    assert cpu_ms < 0.2 * sum(times), (cpu_ms, sum(times))  # sleeping, not spinning


def test_a_table_by_model_signature_beats_device_ms(double_library, tmp_path):
    model = coral_file(CLASSIFIER)
    table = edgetpu_double.write_table(tmp_path / "times.txt", {edgetpu_double.signatures(model)[0]: 15,
                                                                "1x2->1x3": 99})
    it = interpreter(double_library, model, device="usb:0", device_ms=1, model_ms=table)
    feed(it)
    assert 14.5 <= float(np.median(invoke_ms(it, 9))) <= 18


def run_together(interpreters, count):
    def loop(it):
        for _ in range(count):
            it.invoke()

    threads = [threading.Thread(target=loop, args=(it,)) for it in interpreters]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def test_one_device_serializes_and_two_devices_run_at_once(double_library):
    model = coral_file(CLASSIFIER)
    same = [interpreter(double_library, model, device="usb:5", device_ms=10) for _ in range(2)]
    apart = [interpreter(double_library, model, device=f"pci:{i + 5}", device_ms=10) for i in range(2)]
    for it in same + apart:
        feed(it)
    serial = run_together(same, 20)  # 40 holds of 10 ms on one device
    parallel = run_together(apart, 20)  # 20 on each of two
    assert serial >= 0.38, serial
    assert parallel <= 0.32, parallel
    assert serial / parallel >= 1.6, (serial, parallel)


def test_device_root_knows_the_devices_and_an_unknown_one_gives_null(double_library, tmp_path):
    root = fake_tree(tmp_path / "root", pci=1, usb_ready=2)
    model = coral_file(CLASSIFIER)
    log = tmp_path / "double.log"
    alive = [interpreter(double_library, model, device=device, device_root=root, log=log)
             for device in ("pci:0", "usb:1", ":2", "usb", "")]
    created = [r["device"] for r in edgetpu_double.read_log(log) if r["event"] == "create"]
    # ":2" is the third in enumeration order (PCIe first); unindexed ones share a device already open
    assert created[:4] == ["pci:0", "usb:1", "usb:1", "usb:1"] and created[4] in ("pci:0", "usb:1")
    del alive
    p = provider()
    for device in ("usb:2", "pci:1", ":3"):
        with pytest.raises(ValueError, match=f"no Edge TPU '{device}' under device_root"):
            p.load_delegate(str(double_library), {"device": device, "device_root": str(root)})


def test_a_pcie_device_without_its_node_cannot_be_opened(double_library, tmp_path):
    root = fake_tree(tmp_path / "root", pci=1, pci_nodes=False)
    with pytest.raises(ValueError, match="no Edge TPU 'pci:0'"):
        provider().load_delegate(str(double_library), {"device": "pci:0", "device_root": str(root)})


@pytest.mark.parametrize("options,message", [
    ({"device": "tpu:0"}, "device 'tpu:0' is not a device string"),
    ({"device": "usb:-1"}, "is not a device string"),
    ({"device_ms": "fast"}, "device_ms 'fast' is not a number"),
    ({"device_ms": "-1"}, "device_ms '-1' is not a number"),
    ({"devcie_ms": "2"}, "unknown option 'devcie_ms'"),
    ({"model_ms": "/nonexistent/times.txt"}, "cannot read the table file"),
])
def test_bad_options_give_null_with_the_reason(double_library, options, message):
    with pytest.raises(ValueError, match=message):
        provider().load_delegate(str(double_library), options)


def test_a_bad_table_line_is_named(double_library, tmp_path):
    table = tmp_path / "times.txt"
    table.write_text("# comment\n1x128x128x3->1x1001 2.6\n1x128x128x3 fast\n")
    with pytest.raises(ValueError, match="times.txt line 3 is not '<signature> <ms>'"):
        provider().load_delegate(str(double_library), {"model_ms": str(table)})


def test_libedgetpu_options_are_accepted(double_library):
    options = {"device": "usb:0", "Performance": "Max", "Usb.MaxBulkInQueueLength": "32", "Usb.AlwaysDfu": "False"}
    assert provider().load_delegate(str(double_library), options) is not None


def test_a_cpu_model_runs_unchanged_through_the_double(double_library, tmp_path):
    """No edgetpu-custom-op: nothing is claimed and the CPU kernels run the whole model."""
    log = tmp_path / "double.log"
    it = interpreter(double_library, coral_file("mobilenet_v2_1.0_224_quant.tflite"), device="usb:0", log=log)
    feed(it)
    it.invoke()
    assert it.get_tensor(it.get_output_details()[0]["index"]).shape == (1, 1001)
    assert [r["event"] for r in edgetpu_double.read_log(log)] == ["create"]


def test_the_segment_pipeline_ends_in_real_detections(double_library, compose, tmp_path):
    """model.segments over two Edge TPUs of a fake tree: segment 0's outputs feed segment 1, whose real
    TFLite_Detection_PostProcess gives boxes, classes, scores and count."""
    from coral_inference.runtime.config import RuntimeConfig
    from coral_inference.runtime.init import init

    root = fake_tree(tmp_path / "root", pci=2)
    log = tmp_path / "double.log"
    segments = ",".join(str(coral_file(name)) for name in SEGMENTS)
    context = init(RuntimeConfig.from_dictconfig(compose(
        "backends=edgetpu_multi", f"platform.device_root={root}", f"platform.delegate_library={double_library}",
        f"model.segments=[{segments}]", f"+backends.edgetpu_multi.delegate_options={{device_ms: 1, log: {log}}}")))
    try:
        backend = context.backend("edgetpu_multi")
        [detail] = backend.input_details
        x = np.random.default_rng(3).integers(0, 256, detail["shape"]).astype(detail["dtype"])
        outputs = backend.infer([x])
    finally:
        context.close()
    assert [o.shape for o in outputs] == [(1, 20, 4), (1, 20), (1, 20), (1,)]
    boxes, classes, scores, count = outputs
    assert 0 < count[0] <= 20 and np.all((scores >= 0) & (scores <= 1)) and np.all(classes >= 0)
    claims = [(r["device"], r["signature"]) for r in edgetpu_double.read_log(log) if r["event"] == "claim"]
    # segment 1 holds CPU ops (the post-processing): a second interpreter of it on its device claims it too
    assert claims == [("pci:0", edgetpu_double.signatures(coral_file(SEGMENTS[0]))[0]),
                      ("pci:1", edgetpu_double.signatures(coral_file(SEGMENTS[1]))[0]),
                      ("pci:1", edgetpu_double.signatures(coral_file(SEGMENTS[1]))[0])]
