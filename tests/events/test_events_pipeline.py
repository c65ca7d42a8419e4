"""Done when: a real model on real frames through ``coral-run run.mode=pipeline`` gives one track with a
stable id and its events, in order, in events.jsonl, each with its snapshot file; and a built SSD model's
detections are tracked (tests/helpers/tflite_builder.py)."""

import json

import numpy as np

from conftest import coral_file, run_cli, summaries
from tflite_builder import expected_boxes, ssd_model


def walking_video(path, image_path, frames=40, width=1200, fps=10.0):
    """squat.bmp moved from the left edge of a white canvas to its right edge."""
    import cv2

    image = cv2.imread(str(image_path))
    height, w = image.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened()
    for i in range(frames):
        frame = np.full((height, width, 3), 255, np.uint8)
        x = int((width - w) * i / (frames - 1))
        frame[:, x:x + w] = image
        writer.write(frame)
    writer.release()
    return path


def events_of(run_dir):
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def test_movenet_person_crossing_a_line_inside_a_zone_gives_its_events_in_order_with_snapshots(tmp_path):
    import cv2

    model, image = coral_file("movenet_single_pose_lightning_ptq.tflite"), coral_file("squat.bmp")
    video = walking_video(tmp_path / "walk.mp4", image)
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"model.path={model}",
                   f"streams.door.source={video}", "streams.door.tracker.kind=iou",
                   "streams.door.zones.hall.polygon=[[0.3, 0], [0.7, 0], [0.7, 1], [0.3, 1]]",
                   "streams.door.lines.gate.points=[[0.5, 0], [0.5, 1]]", f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    events = events_of(run_dir)
    kinds = [e["type"] for e in events]
    assert {e["track_id"] for e in events} == {1}  # one person, one stable id
    lifecycle = [k for k in kinds if k != "update"]
    assert lifecycle == ["start", "enter", "cross", "leave", "end"], kinds
    by_type = {e["type"]: e for e in events}
    assert by_type["enter"]["zone"] == "hall" and by_type["leave"]["zone"] == "hall"
    assert by_type["cross"]["line"] == "gate" and by_type["cross"]["direction"] == "out"  # left to right
    assert by_type["end"]["reason"] == "stopped" and by_type["cross"]["zones"] == ["hall"]
    assert all(e["stream"] == "door" and e["label"] == "person" for e in events)
    assert len({e["id"] for e in events}) == len(events)
    frames = [e["frame"] for e in events]
    assert frames == sorted(frames)
    for e in events:
        assert e["snapshot"] == f"snapshots/door/{e['id']}.jpg"
        snapshot = cv2.imread(str(run_dir / e["snapshot"]))
        assert snapshot is not None and snapshot.shape == (610, 1200, 3)
    # every result of the track carries its id; the pose keeps all 17 keypoints
    results = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    ids = [p.get("track_id") for r in results for p in r["poses"]]
    assert set(ids) - {None} == {1} and ids[-1] == 1
    assert all(len(p["keypoints"]) == 17 for r in results for p in r["poses"])
    pipeline = summaries(run_dir)[0]["results"]["pipeline"]
    summary = pipeline["streams"]["door"]
    assert summary["events"]["events"] == {t: kinds.count(t) for t in set(kinds)} == pipeline["totals"]["events"]
    assert summary["events"]["tracks"] == 1 and summary["events"]["lines"]["gate"] == {"in": 0, "out": 1}
    assert summary["sinks"]["events"]["events"] == len(events)
    assert summary["sinks"]["snapshots"]["snapshots"] == len(events)


def test_a_built_ssd_models_detections_are_tracked_through_the_pipeline(tmp_path):
    import cv2

    model = tmp_path / "ssd.tflite"
    model.write_bytes(ssd_model("tf1"))
    labels = tmp_path / "labels.txt"
    labels.write_text("person\nbicycle\ncar\n")
    video = tmp_path / "grey.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (160, 100))
    for _ in range(6):
        writer.write(np.full((100, 160, 3), 128, np.uint8))  # box encodings ~ 0: the built boxes
    writer.release()
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"model.path={model}", f"model.labels={labels}",
                   f"run.source={video}", "streams.default.tracker.kind=iou", "streams.default.tracker.min_hits=2",
                   "streams.default.sinks.snapshots=false", f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    assert len(results) == 6 and [len(r["predictions"]) for r in results] == [3] * 6
    assert [p["track_id"] for p in results[0]["predictions"]] == [None, None, None]
    tracked = [{p["label"]: p["track_id"] for p in r["predictions"]} for r in results[1:]]
    assert all(t == tracked[0] for t in tracked) and sorted(tracked[0].values()) == [1, 2, 3]
    events = events_of(run_dir)
    assert sorted((e["type"], e["label"]) for e in events) == sorted(
        [(k, label) for k in ("start", "end") for label in ("person", "bicycle", "car")])
    assert all(e["snapshot"] is None for e in events)  # no snapshots sink
    boxes = {label: box for label, box in zip(("person", "car", "bicycle"), (b for _, _, b in expected_boxes()))}
    for e in events:
        assert np.allclose(e["box"], boxes[e["label"]], atol=0.01)  # mp4 grey is ~128: encodings ~ 0
    summary = summaries(run_dir)[0]["results"]["pipeline"]["streams"]["default"]
    assert summary["events"]["events"] == {"end": 3, "start": 3} and "snapshots" not in summary["sinks"]
