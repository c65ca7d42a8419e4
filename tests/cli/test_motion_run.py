"""coral-run with motion gating (streams.<name>.motion) on a generated mostly still video: every frame in which
the square moves is inferred, most still frames are not, and the summary counts frames, gated and inferred."""

import json

from conftest import run_cli, summaries
from media import write_moving_video

FRAMES = 200
MOVING = range(90, 110)  # 10 % of the frames


def test_a_mostly_still_video_infers_every_moving_frame_and_gates_the_still_ones(tmp_path):
    video = write_moving_video(tmp_path / "still.mp4", FRAMES, MOVING)
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"streams.cam.source={video}",
                   "streams.cam.motion.enabled=true", "streams.cam.motion.max_idle_s=null", cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    pipeline = summary["results"]["pipeline"]
    stream = pipeline["streams"]["cam"]
    records = [json.loads(line) for line in open(pipeline["results"])]
    inferred = {r["source_frame"] for r in records}
    assert set(MOVING) <= inferred  # the moving object's frames, all of them
    assert 0 in inferred  # the first frame is always looked at
    motion = stream["motion"]
    assert motion["frames"] == FRAMES == stream["captured"]
    assert motion["inferred"] == len(records) == stream["frames"] and motion["gated"] == stream["gated"]
    assert motion["gated"] + motion["inferred"] == FRAMES and motion["idle"] == 0
    assert motion["inferred"] <= 0.2 * FRAMES, motion  # the still frames are gated (a few after the object left)
    assert f"motion: {motion['gated']} of {FRAMES} frames gated" in proc.stdout


def test_max_idle_s_infers_a_still_frame_now_and_then(tmp_path):
    video = write_moving_video(tmp_path / "still.mp4", 90, range(0))  # nothing moves; 30 fps: 3 s of video
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"streams.cam.source={video}",
                   "streams.cam.motion.enabled=true", "streams.cam.motion.max_idle_s=1", cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "outputs")
    pipeline = summary["results"]["pipeline"]
    records = [json.loads(line) for line in open(pipeline["results"])]
    # the first frame, then one each second of the video's own clock (frames 30 and 60)
    assert [r["source_frame"] for r in records] == [0, 30, 60]
    assert pipeline["streams"]["cam"]["motion"] == {"frames": 90, "gated": 87, "inferred": 3, "idle": 2}
