"""run.mode=pipeline through the installed coral-run (run.source: one stream "default"): a video OpenCV
writes here, an image folder, the real Coral classification model; and the input conversion
on known tensors."""

import json
import shutil

import numpy as np
import pytest

from conftest import coral_file, run_cli, summaries
from media import write_video


def pipeline(tmp_path, *overrides):
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"hydra.run.dir={tmp_path}/run",
                     *overrides, cwd=tmp_path)
    run_dir = tmp_path / "run"
    summary = summaries(run_dir)[0] if (run_dir / "runtime_summary.json").exists() else None
    return result, summary, run_dir


def lines(run_dir):
    return [json.loads(l) for l in (run_dir / "results.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("limit,expected,stopped_by", [([], 12, "end of source"),
                                                       (["run.max_frames=5"], 5, "run.max_frames")])
def test_video_file_frames_and_results(tmp_path, limit, expected, stopped_by):
    video = write_video(tmp_path / "clip.mp4", frames=12)
    result, summary, run_dir = pipeline(tmp_path, f"run.source={video}", "run.score_threshold=0", *limit)
    assert result.returncode == 0, result.stderr
    stream = summary["results"]["pipeline"]["streams"]["default"]
    assert (stream["frames"], stream["source"], stream["status"]) == (expected, str(video), "finished")
    assert stream["stopped_by"] == stopped_by and stream["dropped"] == 0
    assert stream["latency_ms"]["count"] == expected and stream["fps"] > 0
    records = lines(run_dir)
    assert [r["frame"] for r in records] == list(range(expected))
    assert {r["stream"] for r in records} == {"default"} and records[0]["kind"] == "classification"
    # builtin:selftest has 4 outputs and no labels: top-3 of 4 classes, scores sorted
    scores = [p["score"] for p in records[0]["predictions"]]
    assert len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert stream["sinks"]["buffer"] == {"kept": expected, "total": expected}
    assert "pipeline: 1 stream(s), " + f"{expected} frames (0 dropped)" in result.stdout


def test_score_threshold_filters_classifications_too(tmp_path):
    video = write_video(tmp_path / "clip.mp4", frames=3)
    result, summary, run_dir = pipeline(tmp_path, f"run.source={video}", "run.score_threshold=1")
    assert result.returncode == 0, result.stderr
    scores = [p["score"] for r in lines(run_dir) for p in r["predictions"]]
    assert all(s >= 1 for s in scores) and len(scores) < 3 * 3  # top-3 of 4, minus those below 1


def test_image_folder_top1_with_the_real_coral_model(tmp_path):
    model = coral_file("mobilenet_v2_1.0_224_quant.tflite")
    labels = coral_file("imagenet_labels.txt")
    images = tmp_path / "images"
    images.mkdir()
    for name in ("grace_hopper.bmp", "cat.bmp"):
        shutil.copy(coral_file(name), images / name)
    (images / "broken.png").write_bytes(b"not an image")
    result, summary, run_dir = pipeline(tmp_path, f"run.source={images}", f"model.path={model}",
                                        f"model.labels={labels}", "run.top_k=2", "run.score_threshold=0")
    assert result.returncode == 0, result.stderr
    stream = summary["results"]["pipeline"]["streams"]["default"]
    assert (stream["frames"], stream["unreadable"]) == (2, 1)
    top1 = [(r["predictions"][0]["class"], r["predictions"][0]["label"]) for r in lines(run_dir)]
    # sorted file order: broken.png (dropped), cat.bmp, grace_hopper.bmp
    assert top1 == [(286, "Egyptian cat"), (653, "military uniform")]
    assert all(len(r["predictions"]) == 2 for r in lines(run_dir))


def test_missing_source_is_a_config_error(tmp_path):
    result, summary, _ = pipeline(tmp_path, f"run.source={tmp_path}/nope.mp4", "run.max_frames=0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "run.source: no such file or folder" in result.stderr and "nope.mp4" in result.stderr
    assert "run.max_frames: too small" in result.stderr and "expected an integer >= 1" in result.stderr
    assert summary["status"] == "failed"


@pytest.mark.parametrize("dtype,expected,zero", [(np.uint8, 200, 0), (np.int8, 72, -128),
                                                 (np.float32, (200 - 127.5) / 127.5, -1.0)])
def test_frames_become_the_model_input(dtype, expected, zero):
    from coral_inference.backends.inputs import to_input

    frame = np.zeros((30, 40, 3), np.uint8)
    frame[..., 2] = 200  # red in BGR
    data = to_input(frame, {"shape": [1, 8, 6, 3], "dtype": dtype})
    assert data.shape == (1, 8, 6, 3) and data.dtype == dtype
    # BGR -> RGB: the red channel comes first, blue (0 in the frame) last
    assert data[0, 0, 0, 0] == pytest.approx(expected) and data[0, 0, 0, 2] == pytest.approx(zero)


def test_folder_source_lists_image_files_only(tmp_path):
    """A subfolder whose name ends like an image is not a frame (it was counted as a dropped one)."""
    import cv2

    from coral_inference.streams.sources import SourceError, make_source

    assert cv2.imwrite(str(tmp_path / "a.png"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "more.png").mkdir()
    source = make_source(str(tmp_path))
    source.open()
    assert source.read() is not None and source.read() is None and source.unreadable == 0
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="no images in"):
        make_source(str(tmp_path / "empty")).open()
