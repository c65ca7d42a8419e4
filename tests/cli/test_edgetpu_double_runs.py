"""coral-run end to end on Coral's real Edge-TPU-compiled models with the timing double as the delegate library
(platform.delegate_library) and a fake device tree: bench on one device and on a pool of two, the two-segment
SSD over two devices, a stream of a video file. docs/contributing.md "Rehearse a multi-TPU deployment"."""

import json

import pytest

import edgetpu_double
from conftest import coral_file, run_cli, summaries
from device_tree import fake_tree
from media import write_video

CLASSIFIER = "mobilenet_v1_0.25_128_quant_edgetpu.tflite"
SEGMENTS = ("ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite",
            "ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite")


def coral_run(tmp_path, library, backend, device_ms, *overrides, name="run"):
    """coral-run on a fake tree of two USB Accelerators; the summary and the double's log."""
    root = tmp_path / "root"
    if not root.exists():
        fake_tree(root, usb_ready=2)
    log = tmp_path / f"{name}.log"
    options = f"{{device_ms: {device_ms}, device_root: {root}, log: {log}}}"
    proc = run_cli("coral-run", f"backends={backend}", f"platform.device_root={root}",
                   f"platform.delegate_library={library}", f"+backends.{backend}.delegate_options={options}",
                   f"hydra.run.dir={tmp_path / name}", *overrides, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / name)
    return summary, edgetpu_double.read_log(log)


def invokes(log):
    """Invokes per device, from the double's destroy lines (device totals: the last line of each)."""
    return {r["device"]: int(r["invokes"]) for r in log if r["event"] == "destroy"}


def test_bench_holds_the_device_time_and_two_devices_double_the_throughput(tmp_path, double_library):
    model = coral_file(CLASSIFIER)
    bench = ["run.mode=bench", f"model.path={model}", "run.iterations=80", "run.warmup=2"]
    one, one_log = coral_run(tmp_path, double_library, "edgetpu_single", 10, *bench,
                             "backends.edgetpu_single.devices=usb:0", name="one")
    two, two_log = coral_run(tmp_path, double_library, "edgetpu_multi", 10, *bench,
                             "backends.edgetpu_multi.devices=[usb:0,usb:1]", name="two")
    [b1], [b2] = one["backends"], two["backends"]
    assert b1["status"] == b2["status"] == "ok" and b2["device"] == "usb:0,usb:1"
    assert 10 <= b1["benchmark"]["timed"]["p50_ms"] <= 11.5, b1["benchmark"]["timed"]
    assert [r["signature"] for r in one_log if r["event"] == "claim"] == ["1x128x128x3->1x1001"]
    assert invokes(one_log) == {"usb:0": 2 + 2 + 80}  # init (first inference + 1), bench warm-up, timed
    per_device = invokes(two_log)
    assert set(per_device) == {"usb:0", "usb:1"} and min(per_device.values()) >= 25
    ratio = b2["benchmark"]["timed"]["throughput_ips"] / b1["benchmark"]["timed"]["throughput_ips"]
    assert ratio >= 1.7, (b1["benchmark"]["timed"], b2["benchmark"]["timed"])


def test_the_two_segment_ssd_pipelines_over_two_devices(tmp_path, double_library):
    segments = f"model.segments=[{coral_file(SEGMENTS[0])},{coral_file(SEGMENTS[1])}]"
    summary, log = coral_run(tmp_path, double_library, "edgetpu_multi", 10, "run.mode=bench", segments,
                             "run.iterations=60", "run.warmup=0", "run.concurrency=4")
    [backend] = summary["backends"]
    assert backend["status"] == "ok" and backend["device"] == "usb:0,usb:1"
    claims = {r["device"]: r["signature"] for r in log if r["event"] == "claim"}
    assert claims == {"usb:0": edgetpu_double.signatures(coral_file(SEGMENTS[0]))[0],
                      "usb:1": edgetpu_double.signatures(coral_file(SEGMENTS[1]))[0]}
    assert invokes(log) == {"usb:0": 61, "usb:1": 61}
    # one after the other: 50 inferences/s at most; pipelined over two devices: up to 100/s
    assert backend["benchmark"]["timed"]["throughput_ips"] >= 65, backend["benchmark"]["timed"]


def test_a_stream_of_a_video_file_runs_on_the_double(tmp_path, double_library):
    video = write_video(tmp_path / "clip.mp4", frames=20, size=(640, 360))
    labels = coral_file("imagenet_labels.txt")
    summary, log = coral_run(tmp_path, double_library, "edgetpu_single", 5, "run.mode=pipeline",
                             f"model.path={coral_file(CLASSIFIER)}", f"model.labels={labels}",
                             f"run.source={video}", "backends.edgetpu_single.devices=usb:1")
    stream = summary["results"]["pipeline"]["streams"]["default"]
    assert (stream["frames"], stream["status"]) == (20, "finished")
    records = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert len(records) == 20 and all(r["kind"] == "classification" and r["predictions"] for r in records)
    assert invokes(log)["usb:1"] >= 20


@pytest.mark.parametrize("device", ["usb:2", "pci:0"])
def test_a_device_the_tree_does_not_have_fails_like_libedgetpu(tmp_path, double_library, device):
    root = fake_tree(tmp_path / "root", usb_ready=2)
    proc = run_cli("coral-run", "backends=edgetpu_single", f"backends.edgetpu_single.devices={device}",
                   f"platform.device_root={root}", f"platform.delegate_library={double_library}",
                   f"model.path={coral_file(CLASSIFIER)}",
                   f"+backends.edgetpu_single.delegate_options={{device_root: {root}}}", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr


def test_the_rehearsal_in_the_contributing_guide_runs(tmp_path, double_library):
    """docs/contributing.md's rehearsal.yaml, with its paths pointed at this test's folder, through coral-run."""
    import re

    from conftest import REPO

    text = (REPO / "docs" / "contributing.md").read_text()
    [block] = re.findall(r"`rehearsal\.yaml`[^\n]*\n\n```yaml\n(.*?)```", text, re.S)
    model = coral_file(CLASSIFIER)
    fake_tree(tmp_path / "root", usb_ready=2)
    block = (block.replace("/tmp/rehearsal/libedgetpu_double.so", str(double_library))
             .replace("/tmp/rehearsal", str(tmp_path))
             .replace(f"../shared/coral-test-data/{CLASSIFIER}", str(model)))
    (tmp_path / "rehearsal.yaml").write_text(block)
    proc = run_cli("coral-run", "--config-dir", str(tmp_path), "--config-name", "rehearsal", "run.mode=bench",
                   "run.iterations=200", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "run")
    [backend] = summary["backends"]
    assert backend["device"] == "usb:0,usb:1" and backend["delegate"]["options"]["device_ms"] == "2.6"
    assert backend["benchmark"]["timed"]["throughput_ips"] >= 1.3 * 1000 / 2.6, backend["benchmark"]["timed"]


def test_one_stream_keeps_both_devices_of_a_pool_busy_with_frames_in_flight(tmp_path, double_library):
    """streams.<name>.in_flight (default: devices + 1): one stream of a video file on a pool of two Edge TPUs
    sends to both devices at once (the double's per-device counts), its results in frame order."""
    video = write_video(tmp_path / "clip.mp4", frames=40, size=(640, 360))
    summary, log = coral_run(tmp_path, double_library, "edgetpu_multi", 30, "run.mode=pipeline",
                             f"model.path={coral_file(CLASSIFIER)}", f"run.source={video}",
                             "backends.edgetpu_multi.devices=[usb:0,usb:1]", name="flight")
    stream = summary["results"]["pipeline"]["streams"]["default"]
    assert (stream["frames"], stream["status"], stream["in_flight"]) == (40, "finished", 3)
    per_device = invokes(log)
    assert set(per_device) == {"usb:0", "usb:1"} and min(per_device.values()) >= 10, per_device
    records = [json.loads(line) for line in (tmp_path / "flight" / "results.jsonl").read_text().splitlines()]
    assert [r["frame"] for r in records] == list(range(40))
    # Not a speed target: one request at a time would need at least 39 x 30 ms between the first result and
    # the last; 40 requests of 30 ms fit in less only if the two devices ran at the same time.
    first_to_last_ms = (stream["frames"] - 1) / stream["fps"] * 1000.0
    assert 40 * 30 > 1.05 * first_to_last_ms, (first_to_last_ms, per_device)


def test_a_stream_runs_the_two_segment_ssd_decoded_as_detection_from_its_last_segment(tmp_path, double_library):
    """models.<name>.segments in a stream: the task comes from the last segment's outputs (SSD post-processing),
    the summary shows each segment with its device, every frame is answered in order, both devices work."""
    video = write_video(tmp_path / "clip.mp4", frames=30, size=(640, 360))
    segments = f"models.ssd.segments=[{coral_file(SEGMENTS[0])},{coral_file(SEGMENTS[1])}]"
    summary, log = coral_run(tmp_path, double_library, "edgetpu_multi", 2, "run.mode=pipeline", segments,
                             "streams.a.model=ssd", f"streams.a.source={video}", "models.ssd.labels="
                             + str(coral_file("coco_labels.txt")), name="seg")
    stream = summary["results"]["pipeline"]["streams"]["a"]
    assert (stream["frames"], stream["status"], stream["task"]["task"]) == (30, "finished", "detection")
    assert stream["in_flight"] == 4  # two segments, the last with a second interpreter for its CPU ops, + 1
    records = [json.loads(line) for line in (tmp_path / "seg" / "results.jsonl").read_text().splitlines()]
    assert [r["frame"] for r in records] == list(range(30)) and all(r["kind"] == "detection" for r in records)
    assert any(p["label"] for r in records for p in r["predictions"])  # labels read for the last segment's classes
    entries = [b for b in summary["backends"] if (b.get("model") or {}).get("segments")]
    assert entries, summary["backends"]
    shown = [(s["device"], s["interpreters"], s["path"]) for s in entries[0]["model"]["segments"]]
    assert shown == [("usb:0", 1, str(coral_file(SEGMENTS[0]))), ("usb:1", 2, str(coral_file(SEGMENTS[1])))]
    # the pair's pool (what /metrics' coral_inference_requests{backend, model, device} reads): one slot per segment
    assert [(w["label"], w["segment"], w["requests"]) for w in entries[0]["pool"]] == [("usb:0", 0, 30), ("usb:1", 1, 30)]
    assert min(invokes(log).values()) >= 30


def test_config_validate_and_model_inspect_read_the_task_from_the_last_segment(tmp_path):
    first, last = str(coral_file(SEGMENTS[0])), str(coral_file(SEGMENTS[1]))
    proc = run_cli("coral-runtime", "config", "validate", "backends=edgetpu_multi", f"model.segments=[{first},{last}]",
                   f"models.ssd.segments=[{first},{last}]", cwd=tmp_path)
    assert proc.returncode == 0 and "no task recognises" not in proc.stderr, proc.stderr
    assert "model.task: detection" in proc.stdout and "models.ssd.task: detection" in proc.stdout, proc.stdout
    proc = run_cli("coral-runtime", "model", "inspect", first, last, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["task"]["task"] == "detection" and len(info["segments"]) == 2
    assert info["inputs"][0]["shape"] == [1, 300, 300, 3] and [o["shape"] for o in info["outputs"]][-1] == [1]
    proc = run_cli("coral-runtime", "model", "inspect", last, first, cwd=tmp_path)
    assert proc.returncode == 2 and "PATH[1]" in proc.stderr and "do not feed segment 1" in proc.stderr, proc.stderr
