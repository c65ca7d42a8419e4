"""More of the events: a plugin's tracker used by name, a restarted stream's new tracks, MoveNet's 17
keypoints at the default score, and a snapshots folder that is a link (never written through)."""

import json

import numpy as np

from conftest import coral_file, run_cli, summaries
from plugin_dists import write_dist
from test_event_lifecycle import config, det, run
from tflite_builder import ssd_model

PLUGIN = '''
from coral_inference.plugins import PluginSpec


class Fixed:
    """Every object is its own track, numbered by its place in the frame from 100."""

    def __init__(self, settings, stream):
        self.first = int(settings["options"].get("first", 100))

    def update(self, objects, t):
        return [self.first + i for i, _ in enumerate(objects)]


spec = PluginSpec(name="fixed_tracker", contributes={"tracker": {"fixed": Fixed}})
bad = PluginSpec(name="bad_tracker", contributes={"tracker": {"no_args": lambda: None}})
'''


def ssd_video(tmp_path, frames=4):
    import cv2

    model = tmp_path / "ssd.tflite"
    model.write_bytes(ssd_model("tf1"))
    video = tmp_path / "grey.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (160, 100))
    for _ in range(frames):
        writer.write(np.full((100, 160, 3), 128, np.uint8))
    writer.release()
    return model, video


def test_a_plugins_tracker_is_named_by_streams_tracker_kind_and_a_malformed_one_is_refused(tmp_path):
    site = write_dist(tmp_path / "site", "coral-test-trackers", "0.1", {"coral_test_trackers.py": PLUGIN},
                      {"coral_inference.workflows": {"fixed_tracker": "coral_test_trackers:spec",
                                                     "bad_tracker": "coral_test_trackers:bad"}})
    model, video = ssd_video(tmp_path)
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"model.path={model}", f"run.source={video}",
                   "streams.default.tracker.kind=fixed", "streams.default.tracker.options={first: 7}",
                   f"hydra.run.dir={run_dir}", cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert sorted((e["type"], e["track_id"]) for e in events) == [(k, i) for k in ("end", "start") for i in (7, 8, 9)]
    [summary] = summaries(run_dir)
    plugins = {p["name"]: p for p in summary["plugins"]} if isinstance(summary["plugins"], list) else None
    text = json.dumps(summary["plugins"])
    assert "tracker 'no_args': cannot be called as a tracker factory (settings, stream)" in text, text[:2000]
    assert plugins is None or plugins["fixed_tracker"]["status"] == "loaded"


def test_a_stream_started_again_gets_new_tracks_with_new_ids():
    events, _, life = run(config(min_hits=1), [det((0.5, 0.5, "a", 0.9))] * 2)
    assert [(e["type"], e["track_id"]) for e in events] == [("start", 1), ("end", 1)]
    hub_events = []
    life.hub.subscribe(hub_events.append)
    life.step({"frame": 9, "time": "t9", "predictions": det((0.5, 0.5, "a", 0.9))}, None, 5.0)
    life.finish()
    life.hub.close()
    assert [(e["type"], e["track_id"], e["id"]) for e in hub_events] == [("start", 2, "cam-3"), ("end", 2, "cam-4")]


def test_movenet_reports_all_17_keypoints_at_the_default_minimum_score():
    import cv2
    from ai_edge_litert.interpreter import Interpreter

    from coral_inference.backends.inputs import to_input
    from coral_inference.plugins.registry import new_registry
    from coral_inference.tasks.decode import prepare_decoder

    it = Interpreter(model_path=str(coral_file("movenet_single_pose_lightning_ptq.tflite")))
    it.allocate_tensors()
    frame = cv2.imread(str(coral_file("squat.bmp")))
    detail = it.get_input_details()[0]
    it.set_tensor(detail["index"], to_input(frame, detail))
    it.invoke()
    details = it.get_output_details()
    decode = prepare_decoder("pose", details, {}, {"min_keypoint_score": 0.2}, new_registry())
    (pose,) = decode([it.get_tensor(d["index"]) for d in details], frame.shape[1], frame.shape[0])["poses"]
    keypoints = pose["keypoints"]
    assert len(keypoints) == 17 and [k["name"] for k in keypoints][:2] == ["nose", "left_eye"]
    hidden = [k for k in keypoints if not k["visible"]]
    assert len(hidden) == 1 and hidden[0]["score"] < 0.2  # reported with its score, only not drawn
    visible = [k for k in keypoints if k["visible"]]
    assert pose["box"][0] == min(k["nx"] for k in visible) and pose["box"][3] == max(k["ny"] for k in visible)


def test_a_snapshots_folder_that_is_a_link_is_never_written_through(tmp_path):
    model, video = ssd_video(tmp_path, frames=3)
    run_dir, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    run_dir.mkdir()
    elsewhere.mkdir()
    (run_dir / "snapshots").symlink_to(elsewhere)
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"model.path={model}", f"run.source={video}",
                   "streams.default.tracker.kind=iou", "streams.default.tracker.min_hits=1",
                   f"hydra.run.dir={run_dir}", cwd=tmp_path)
    # refused before anything runs (cli/rundir.py): exit 2 naming the link and hydra.run.dir
    assert proc.returncode == 2, proc.stderr
    assert "snapshots" in proc.stderr and "symbolic link" in proc.stderr and "hydra.run.dir" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(elsewhere.iterdir()) == [] and not (run_dir / "events.jsonl").exists()
