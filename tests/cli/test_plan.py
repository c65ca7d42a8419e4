"""coral-runtime plan through the installed console script: the load of each stream on each Edge TPU from
Coral's published figures, a bench run (with the timing double) or --device-ms; fits (exit 0), does not fit
(exit 1, and the advice, applied, makes it fit), bad input and unknown device times (exit 2)."""

import json
import shutil

import pytest

import edgetpu_double
from conftest import coral_file, run_cli, summaries
from device_tree import fake_tree
from media import write_video

SMALL = "mobilenet_v1_0.25_128_quant_edgetpu.tflite"  # Coral publishes no figure for this one
SEGMENTS = ("ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite",
            "ssd_mobilenet_v2_coco_quant_postprocess_segment_1_of_2_edgetpu.tflite")


@pytest.fixture
def site(tmp_path):
    """A fake tree of two USB Accelerators, a 25 fps video, and Edge TPU models under names Coral publishes
    (the plan reads the name and that the file is Edge-TPU-compiled)."""
    fake_tree(tmp_path / "root", usb_ready=2)
    write_video(tmp_path / "cam.mp4", frames=3, fps=25)
    for name in ("mobilenet_v2_1.0_224_quant_edgetpu.tflite", "ssd_mobilenet_v2_coco_quant_postprocess_edgetpu.tflite"):
        shutil.copy(coral_file(SMALL), tmp_path / name)
    return tmp_path


def plan(folder, *args):
    proc = run_cli("coral-runtime", "plan", "--json", f"platform.device_root={folder / 'root'}", *args, cwd=folder)
    doc = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc, doc


def streams(folder, backend, *fps):
    """Overrides for one stream per rate (None: no max_fps: the video's own 25 fps) on ``backend``."""
    out = []
    for i, rate in enumerate(fps):
        out += [f"streams.s{i}.source={folder / 'cam.mp4'}", f"streams.s{i}.backend={backend}"]
        if rate is not None:
            out.append(f"streams.s{i}.max_fps={rate}")
    return out


def test_two_streams_fit_on_two_edge_tpus_from_the_published_figure(site):
    proc, doc = plan(site, "backends=edgetpu_multi", f"model.path={site / 'mobilenet_v2_1.0_224_quant_edgetpu.tflite'}",
                     *streams(site, "edgetpu_multi", 100, None))
    assert proc.returncode == 0, proc.stderr
    assert doc["fits"] is True and doc["advice"] == []
    [model] = doc["models"].values()
    assert model["device_ms"] == [2.6] and "published: MobileNet v2" in model["source"]
    assert "coral.ai/docs/edgetpu/benchmarks" in model["source"]
    rates = {r["stream"]: (r["fps"], r["fps_source"]) for r in doc["streams"]}
    assert rates["s0"] == (100.0, "streams.s0.max_fps") and rates["s1"][0] == 25.0
    assert "the file's own rate" in rates["s1"][1]
    backend = doc["backends"]["edgetpu_multi"]
    assert backend["devices"] == ["usb:0", "usb:1"] and backend["capacity_ips"] == pytest.approx(2 * 1000 / 2.6, abs=0.01)
    assert backend["busy"] == {"usb:0": pytest.approx(125 * 2.6 / 1000 / 2), "usb:1": pytest.approx(125 * 2.6 / 1000 / 2)}


def test_does_not_fit_and_the_advice_applied_makes_it_fit(site):
    (site / "two.yaml").write_text(
        "backends:\n  enabled: [edgetpu_single, spare]\n  edgetpu_single: {devices: usb:0}\n"
        "  extra:\n    spare: {kind: edgetpu, devices: usb:1}\n"
        f"model:\n  path: {site / 'ssd_mobilenet_v2_coco_quant_postprocess_edgetpu.tflite'}\n")
    base = ["-c", str(site / "two.yaml")]
    over = streams(site, "edgetpu_single", 30, 30, None, 30)  # 115 fps x 7.2 ms = 0.83 of one device
    proc, doc = plan(site, *base, *over)
    assert proc.returncode == 1, proc.stderr
    assert doc["fits"] is False and doc["backends"]["edgetpu_single"]["utilization"] == pytest.approx(0.828)
    moves = [a for a in doc["advice"] if a["action"] == "move"]
    assert moves and moves[0]["to"] == "spare" and moves[0]["override"].endswith(".backend=spare")
    assert {"action": "add devices", "devices": 2} .items() <= next(
        a for a in doc["advice"] if a["action"] == "add devices").items()
    applied = [a["override"] for a in doc["advice"] if "override" in a]
    proc, doc = plan(site, *base, *over, *applied)
    assert proc.returncode == 0, proc.stderr
    assert doc["fits"] is True


def test_with_nowhere_to_move_the_advice_slows_a_stream_and_that_fits(site):
    ssd = f"model.path={site / 'ssd_mobilenet_v2_coco_quant_postprocess_edgetpu.tflite'}"
    args = ["backends=edgetpu_single", "backends.edgetpu_single.devices=usb:0", ssd,
            *streams(site, "edgetpu_single", 70, 70)]
    proc, doc = plan(site, *args, "--margin", "0.1")
    assert proc.returncode == 1 and doc["limit"] == pytest.approx(0.9)
    [slow] = [a for a in doc["advice"] if a["action"] == "slow"]
    assert slow["from_fps"] == 70 and 0 < slow["fps"] < 70
    proc, doc = plan(site, *args, "--margin", "0.1", slow["override"])
    assert proc.returncode == 0, proc.stderr
    assert doc["backends"]["edgetpu_single"]["utilization"] <= 0.9


def test_an_unknown_device_time_is_said_plainly_never_guessed(site):
    proc, doc = plan(site, "backends=edgetpu_single", f"model.path={coral_file(SMALL)}",
                     *streams(site, "edgetpu_single", 10))
    assert proc.returncode == 2
    assert doc["fits"] is None and doc["streams"][0]["busy"] is None
    assert "model: no published figure for 'mobilenet_v1_0.25_128_quant_edgetpu.tflite'" in proc.stderr
    assert "--bench" in proc.stderr and "--device-ms" in proc.stderr
    proc, doc = plan(site, "backends=edgetpu_single", f"model.path={coral_file(SMALL)}",
                     *streams(site, "edgetpu_single", 10), "--device-ms", "default=4")
    assert proc.returncode == 0, proc.stderr
    assert doc["streams"][0]["busy"] == pytest.approx(0.04)
    assert list(doc["models"].values())[0]["source"] == "given: --device-ms default=4"


def test_a_cpu_backend_needs_a_measurement(site):
    proc, doc = plan(site, "backends=cpu", f"model.path={coral_file('mobilenet_v2_1.0_224_quant.tflite')}",
                     *streams(site, "cpu", 10))
    assert proc.returncode == 2
    assert "no published CPU figure" in proc.stderr and "backends=cpu" in proc.stderr


def test_a_segmented_model_counts_on_each_of_its_devices(site):
    segments = f"model.segments=[{coral_file(SEGMENTS[0])},{coral_file(SEGMENTS[1])}]"
    proc, doc = plan(site, "backends=edgetpu_multi", segments, *streams(site, "edgetpu_multi", 100))
    assert proc.returncode == 2 and "Coral publishes no time per segment" in proc.stderr
    assert "SSD MobileNet v2: 7.2 ms for the whole model" in proc.stderr
    proc, doc = plan(site, "backends=edgetpu_multi", segments, *streams(site, "edgetpu_multi", 100),
                     "--device-ms", "default=3.6")
    assert proc.returncode == 0, proc.stderr
    backend = doc["backends"]["edgetpu_multi"]
    assert backend["busy"] == {"usb:0": pytest.approx(0.36), "usb:1": pytest.approx(0.36)}
    assert backend["capacity_ips"] == pytest.approx(1000 / 3.6, abs=0.01)


def test_usb2_and_the_dev_board_use_their_own_figures(site):
    ssd = f"model.path={site / 'ssd_mobilenet_v2_coco_quant_postprocess_edgetpu.tflite'}"
    for link, ms in (("usb2", 21.6), ("devboard", 14.0), ("usb3", 7.2)):
        proc, doc = plan(site, "backends=edgetpu_single", ssd, *streams(site, "edgetpu_single", 10), "--link", link)
        assert proc.returncode == 0, proc.stderr
        [model] = doc["models"].values()
        assert model["device_ms"] == [ms], (link, model)


def test_a_bench_run_with_the_timing_double_is_the_measured_device_time(site, double_library):
    model = coral_file(SMALL)
    options = f"+backends.edgetpu_single.delegate_options={{device_ms: 4, device_root: {site / 'root'}}}"
    bench = run_cli("coral-run", "run.mode=bench", "backends=edgetpu_single", "backends.edgetpu_single.devices=usb:0",
                    f"platform.device_root={site / 'root'}", f"platform.delegate_library={double_library}",
                    f"model.path={model}", options, "run.iterations=40", f"hydra.run.dir={site / 'bench'}", cwd=site)
    assert bench.returncode == 0, bench.stderr
    [summary] = summaries(site / "bench")
    throughput = summary["backends"][0]["benchmark"]["timed"]["throughput_ips"]
    proc, doc = plan(site, "backends=edgetpu_multi", f"model.path={model}", *streams(site, "edgetpu_multi", 50),
                     "--bench", str(site / "bench"))
    assert proc.returncode == 0, proc.stderr
    [row] = doc["models"].values()
    assert row["device_ms"] == [pytest.approx(1000 / throughput, rel=1e-3)] and 4 <= row["device_ms"][0] <= 5
    assert row["source"].startswith("measured: ") and edgetpu_double.LIBRARY in row["source"]
    assert doc["backends"]["edgetpu_multi"]["busy"]["usb:0"] == pytest.approx(50 * row["device_ms"][0] / 2000, rel=1e-3)
    shutil.copytree(site / "bench", site / "sweep" / "0")  # a sweep folder: one job folder per run
    proc, doc = plan(site, "backends=edgetpu_multi", f"model.path={model}", *streams(site, "edgetpu_multi", 50),
                     "--bench", str(site / "sweep"))
    assert proc.returncode == 0, proc.stderr
    assert str(site / "sweep" / "0") in list(doc["models"].values())[0]["source"]


@pytest.mark.parametrize("args,message", [
    (["--margin", "1.5"], "expected a fraction in [0, 1)"),
    (["--device-ms", "fast"], "expected NAME=MS"),
    (["--device-ms", "other=3"], "--device-ms: 'other' names no model of this config"),
    (["--bench", "/nonexistent/run"], "--bench: '/nonexistent/run' is not a run directory"),
    (["backends.cpu.workerz=2"], "workerz"),
])
def test_bad_input_is_exit_2_naming_it(site, args, message):
    proc = run_cli("coral-runtime", "plan", f"platform.device_root={site / 'root'}", "backends=cpu", *args, cwd=site)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_text_output_names_every_figure_and_its_source(site):
    proc = run_cli("coral-runtime", "plan", f"platform.device_root={site / 'root'}", "backends=edgetpu_multi",
                   f"model.path={site / 'mobilenet_v2_1.0_224_quant_edgetpu.tflite'}",
                   *streams(site, "edgetpu_multi", 100, None), cwd=site)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("coral-runtime plan: fits (margin 0.2")
    assert "default on edgetpu_multi: 2.6 ms (published: MobileNet v2" in out
    assert "s0: 100 fps (streams.s0.max_fps)" in out and "usb:0 16.2%" in out
