"""run.mode=bench: real inference on the CPU through the installed coral-run."""

import os
import pty
import subprocess

import numpy as np
import pytest

from conftest import cli_env, console_script, coral_file, run_cli, summaries
from coral_inference.backends.images import load_image_inputs
from coral_inference.errors import ConfigError
from coral_inference.runtime.bench import stats


def bench_summary(tmp_path, *overrides):
    proc = run_cli("coral-run", "run.mode=bench", "backends=cpu", *overrides, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    return summary


def test_bench_records_benchmark_model_figures_per_backend(tmp_path):
    summary = bench_summary(tmp_path, "run.iterations=2000", "run.warmup=3")
    [backend] = summary["backends"]
    bench = backend["benchmark"]
    timed = bench["timed"]
    assert timed["count"] == 2000 and bench["warmup"]["count"] == 3
    assert bench["inputs"] == {"kind": "random", "count": 1}
    assert bench["init_ms"] == backend["timings_ms"]["init"] > 0
    assert bench["first_inference_ms"] == backend["timings_ms"]["first_inference"] > 0
    assert 0 < timed["min_ms"] <= timed["p50_ms"] <= timed["p90_ms"] <= timed["p99_ms"] <= timed["max_ms"]
    assert timed["min_ms"] <= timed["avg_ms"] <= timed["max_ms"] and timed["std_ms"] >= 0
    assert timed["throughput_ips"] == pytest.approx(2000 / timed["seconds"], rel=0.01)
    assert bench["peak_rss_mb"] > 10
    assert summary["results"]["bench"]["backends"]["cpu"]["p99_ms"] == timed["p99_ms"]


def test_min_seconds_keeps_timing_past_the_iteration_count(tmp_path):
    timed = bench_summary(tmp_path, "run.iterations=1", "run.min_seconds=0.3")["backends"][0]["benchmark"]["timed"]
    assert timed["count"] > 1 and timed["seconds"] >= 0.3


def test_bench_with_an_image_folder_on_a_real_coral_model(tmp_path):
    model = coral_file("mobilenet_v1_0.25_128_quant.tflite")
    images = tmp_path / "images"
    images.mkdir()
    for name in ("cat.bmp", "grace_hopper.bmp"):
        (images / name).symlink_to(coral_file(name))
    bench = bench_summary(tmp_path, f"model.path={model}", f"run.images={images}",
                          "run.iterations=4")["backends"][0]["benchmark"]
    assert bench["inputs"] == {"kind": f"images:{images}", "count": 2} and bench["timed"]["count"] == 4


def test_images_feed_the_builtin_vector_model_too(tmp_path):
    import cv2

    images = tmp_path / "images"
    images.mkdir()
    assert cv2.imwrite(str(images / "a.png"), np.full((12, 16, 3), 200, np.uint8))
    bench = bench_summary(tmp_path, f"run.images={images}", "run.iterations=3")["backends"][0]["benchmark"]
    assert bench["inputs"] == {"kind": f"images:{images}", "count": 1} and bench["timed"]["count"] == 3


def test_an_unreadable_image_exits_2_naming_the_key_and_file(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.png").write_bytes(b"not really")
    proc = run_cli("coral-run", "run.mode=bench", "backends=cpu", f"run.images={images}", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "run.images" in proc.stderr and "a.png" in proc.stderr


def test_bad_bench_settings_are_all_reported(tmp_path):
    proc = run_cli("coral-run", "run.mode=bench", "run.iterations=0", "run.images=/no/such/dir", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "run.iterations" in proc.stderr and "run.images" in proc.stderr and "/no/such/dir" in proc.stderr


def test_image_inputs_are_resized_rgb_and_typed(tmp_path):
    import cv2

    bgr_blue = np.zeros((20, 30, 3), np.uint8)
    bgr_blue[..., 0] = 255
    assert cv2.imwrite(str(tmp_path / "blue.png"), bgr_blue)
    details = [{"shape": [1, 4, 6, 3], "dtype": np.uint8}]
    [[u8]] = load_image_inputs(str(tmp_path), details)
    assert u8.shape == (1, 4, 6, 3) and u8.dtype == np.uint8
    assert (u8[..., 2] == 255).all() and (u8[..., 0] == 0).all()  # RGB order
    [[i8]] = load_image_inputs(str(tmp_path), [{"shape": [1, 4, 6, 3], "dtype": np.int8}])
    assert i8.dtype == np.int8 and int(i8[0, 0, 0, 2]) == 127 and int(i8[0, 0, 0, 0]) == -128
    [[f32]] = load_image_inputs(str(tmp_path), [{"shape": [1, 4, 6, 3], "dtype": np.float32}])
    assert f32.dtype == np.float32 and float(f32.max()) == 1.0 and float(f32.min()) == -1.0
    with pytest.raises(ConfigError, match="is not a folder"):
        load_image_inputs(str(tmp_path / "missing"), details)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no images"):
        load_image_inputs(str(tmp_path / "empty"), details)


def test_stats_percentiles():
    out = stats([i / 1000 for i in range(1, 101)])  # 1..100 ms
    assert out["count"] == 100 and out["min_ms"] == 1 and out["max_ms"] == 100
    assert out["p50_ms"] == pytest.approx(50.5) and out["p90_ms"] == pytest.approx(90.1)
    assert out["p99_ms"] == pytest.approx(99.01) and out["avg_ms"] == pytest.approx(50.5)


def _run_on_pty(tmp_path, tty: bool) -> str:
    args = [console_script("coral-run"), "run.mode=bench", "backends=cpu", "run.iterations=20000"]
    env = cli_env()
    if tty:
        leader, follower = pty.openpty()
        proc = subprocess.run(args, cwd=tmp_path, env=env, stdout=follower, stderr=subprocess.PIPE, text=True,
                              timeout=120)
        os.close(follower)
        os.close(leader)
    else:
        proc = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def test_progress_bar_only_when_stdout_is_a_terminal(tmp_path):
    pytest.importorskip("tqdm")
    assert "bench cpu" in _run_on_pty(tmp_path, tty=True)
    assert "bench cpu" not in _run_on_pty(tmp_path, tty=False)


def test_random_inputs_are_shaped_typed_and_seeded():
    from coral_inference.backends.inputs import random_inputs

    details = [{"shape": [1, 6, 5, 3], "dtype": np.uint8}, {"shape": [1, 8], "dtype": np.float32},
               {"shape": [2, 3], "dtype": np.int8}, {"shape": [4], "dtype": np.bool_}]
    first, again, other = random_inputs(details), random_inputs(details), random_inputs(details, seed=1)
    for array, detail in zip(first, details):
        assert array.shape == tuple(detail["shape"]) and array.dtype == np.dtype(detail["dtype"])
        assert array.flags.writeable
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])
    assert -1.0 <= float(first[1].min()) < float(first[1].max()) <= 1.0
    assert len(np.unique(first[0])) > 20  # spread over the range, not a constant


@pytest.mark.parametrize("extra,concurrency", [([], 2), (["run.concurrency=1"], 1)])
def test_concurrency_defaults_to_the_worker_count_and_the_pool_serves_it(tmp_path, extra, concurrency):
    summary = bench_summary(tmp_path, "backends.cpu.workers=2", "run.iterations=400", "run.warmup=0", *extra)
    [backend] = summary["backends"]
    timed = backend["benchmark"]["timed"]
    assert timed["count"] == 400 and timed["concurrency"] == concurrency
    assert summary["results"]["bench"]["backends"]["cpu"]["concurrency"] == concurrency
    requests = [w["requests"] for w in backend["pool"]]
    if concurrency == 2:
        assert min(requests) > 0  # both workers served requests at once
