"""Event clips end to end: a real MoveNet run with the events of streams.<name>.tracker/zones/lines, recorded
(services.recording.events): every event names its clip (relative to the run folder), and each clip is a
complete H.264 MP4 that starts on a keyframe."""

import json

from conftest import coral_file, run_cli, summaries
from media import codec_of, packets_of


def test_every_event_links_a_clip_of_its_moment(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "events"))
    from test_events_pipeline import walking_video

    model, image = coral_file("movenet_single_pose_lightning_ptq.tflite"), coral_file("squat.bmp")
    video = walking_video(tmp_path / "walk.mp4", image)
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"model.path={model}",
                   f"streams.door.source={video}", "streams.door.tracker.kind=iou",
                   "streams.door.zones.hall.polygon=[[0.3, 0], [0.7, 0], [0.7, 1], [0.3, 1]]",
                   "streams.door.lines.gate.points=[[0.5, 0], [0.5, 1]]", "services=recording",
                   "services.recording.events.enabled=true", "services.recording.events.pre_s=1",
                   "services.recording.events.post_s=1", f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert [e["type"] for e in events if e["type"] != "update"] == ["start", "enter", "cross", "leave", "end"]
    clips = [e["clip"] for e in events]
    assert all(c and c.startswith("recordings/door/clip_") for c in clips) and len(set(clips)) == len(clips)
    for clip in clips:
        packets = packets_of(run_dir / clip)
        assert packets and packets[0][1] and codec_of(run_dir / clip) == ("h264", "yuv420p")
    recording = summaries(run_dir)[0]["results"]["pipeline"]["streams"]["door"]["sinks"]["recording"]
    assert recording["clips"]["written"] == len(events) and recording["clips"]["failed"] == 0
