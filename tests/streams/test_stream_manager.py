"""The StreamManager with real parts: OpenCV-written videos and image folders, the CPU backend pool,
workflow blocks from the registry, results.jsonl and recordings per stream, control and failures."""

import json
import time

import numpy as np
import pytest

from conftest import run_cli, summaries
from media import write_video


def image_folder(path, n):
    import cv2

    path.mkdir()
    for i in range(n):
        assert cv2.imwrite(str(path / f"{i:03d}.png"), np.full((60, 80, 3), i * 20 % 256, np.uint8))
    return path


class Calls:
    """A plugin-style block factory: counts the results it sees, per stream."""

    seen: list = []

    def __init__(self, tag="x"):
        self.tag = tag

    def __call__(self, result, frame, stream):
        Calls.seen.append((stream.name, result["frame"], frame.shape))
        result.setdefault("workflow", {})["calls"] = {"tag": self.tag, "n": len(Calls.seen)}
        return result

    def summary(self):
        return {"tag": self.tag}


def test_two_streams_share_a_pool_of_two_workers(tmp_path, runtime_context):
    from coral_inference.streams.manager import StreamManager

    video = write_video(tmp_path / "clip.mp4", frames=20)
    folder = image_folder(tmp_path / "imgs", 8)
    context = runtime_context("run.mode=pipeline", "backends=cpu", "backends.cpu.workers=2",
                              f"streams.cam.source={video}", f"streams.shots.source={folder}",
                              "streams.shots.workflow=[{block: calls, tag: plugin}]", "services=recording",
                              "streams.shots.sinks.preview=false")
    context.registry.add("workflow", "calls", Calls, source="example-dist")
    Calls.seen = []
    manager = StreamManager(context)
    seen = []
    manager.subscribe(lambda name, result, frame: seen.append((name, result["frame"])))
    assert manager.names == ["cam", "shots"]
    manager.start()
    assert manager.wait(timeout=60) is True
    manager.stop()
    summary = manager.summary()
    cam, shots = summary["streams"]["cam"], summary["streams"]["shots"]
    assert (cam["status"], cam["frames"], cam["dropped"]) == ("finished", 20, 0)
    assert (shots["status"], shots["frames"]) == ("finished", 8)
    assert shots["workflow"] == {"calls": {"tag": "plugin"}} and cam["workflow"] == {}
    assert [s for s, _, _ in Calls.seen] == ["shots"] * 8 and Calls.seen[0][2] == (60, 80, 3)
    assert sorted(seen) == [("cam", i) for i in range(20)]  # shots: preview switched off for that stream
    records = [json.loads(l) for l in (context.run_dir / "results.jsonl").read_text().splitlines()]
    assert sorted(r["frame"] for r in records if r["stream"] == "cam") == list(range(20))
    assert all(r["workflow"]["calls"]["tag"] == "plugin" for r in records if r["stream"] == "shots")
    assert all(r["latency_ms"]["capture_to_result"] >= r["latency_ms"]["inference"] >= 0 for r in records)
    pool = summary["backends"]["cpu"]
    assert sum(w["requests"] for w in pool) >= 28 and all(w["requests"] > 0 for w in pool)  # the split shows
    assert [p.name for p in manager.recordings("cam")] == ["segment_00000.mp4"]
    assert manager.recordings("cam")[0].parent == context.run_dir / "recordings" / "cam"
    manager.stop()  # idempotent


def test_a_block_that_raises_fails_its_stream_only(tmp_path, runtime_context):
    from coral_inference.streams.manager import StreamManager

    def broken(**settings):
        def block(result, frame, stream):
            if result["frame"] == 3:
                raise RuntimeError("boom")
            return result
        return block

    video = write_video(tmp_path / "clip.mp4", frames=10)
    context = runtime_context("run.mode=pipeline", "backends=cpu", f"streams.ok.source={video}",
                              f"streams.bad.source={video}", "streams.bad.workflow=[{block: broken}]")
    context.registry.add("workflow", "broken", broken)
    manager = StreamManager(context)
    manager.start()
    assert manager.wait(timeout=60)
    manager.stop()
    status = manager.status()
    assert status["ok"]["status"] == "finished" and status["ok"]["frames"] == 10
    assert status["bad"]["status"] == "failed" and status["bad"]["frames"] == 3
    assert "workflow block 'broken' raised RuntimeError: boom" in status["bad"]["last_error"]


def test_control_pause_resume_stop_and_start(tmp_path, runtime_context):
    from coral_inference.streams.manager import StreamManager

    folder = image_folder(tmp_path / "imgs", 30)
    context = runtime_context("run.mode=pipeline", "backends=cpu", f"streams.s.source={folder}", "streams.s.max_fps=40")
    manager = StreamManager(context)
    manager.start()
    time.sleep(0.3)
    assert manager.control("s", "pause") == "paused"
    time.sleep(0.2)
    frozen = manager.status()["s"]["frames"]
    time.sleep(0.3)
    assert manager.status()["s"]["frames"] == frozen and 0 < frozen < 30
    with pytest.raises(ValueError, match="cannot pause stream 's': it is paused"):
        manager.control("s", "pause")
    with pytest.raises(KeyError):
        manager.control("nope", "stop")
    with pytest.raises(ValueError, match="unknown action"):
        manager.control("s", "rewind")
    assert manager.control("s", "resume") in ("running", "starting")
    assert manager.control("s", "stop") == "stopped"
    assert manager.wait(timeout=5)
    assert manager.control("s", "start") in ("starting", "running")
    assert manager.wait(timeout=30)
    assert manager.status()["s"]["status"] == "finished"
    manager.stop()


def test_max_fps_is_honoured(tmp_path, runtime_context):
    from coral_inference.streams.manager import StreamManager

    folder = image_folder(tmp_path / "imgs", 6)
    context = runtime_context("run.mode=pipeline", "backends=cpu", f"streams.s.source={folder}", "streams.s.max_fps=10")
    manager = StreamManager(context)
    started = time.monotonic()
    manager.start()
    assert manager.wait(timeout=30)
    manager.stop()
    assert time.monotonic() - started >= 0.45  # 6 frames at most 10 per second: 5 gaps of 0.1 s
    assert manager.status()["s"]["fps"] <= 11


def test_every_stream_failed_is_exit_6_with_a_failed_summary(tmp_path):
    video = write_video(tmp_path / "clip.mp4", frames=4)
    folder = image_folder(tmp_path / "imgs", 2)
    (tmp_path / "imgs" / "000.png").unlink()
    (tmp_path / "imgs" / "001.png").write_bytes(b"not a png")  # lists as an image, cannot be read
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"streams.a.source={folder}",
                   f"streams.a.model=small", "models.small.path=builtin:selftest",
                   f"streams.b.source={video}", "streams.b.tracker.kind=iou",
                   "streams.b.zones.z.polygon=[[0, 0], [1, 0], [1, 1]]",
                   f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    # a folder whose only image is unreadable ends with 0 frames (finished, not failed): not every stream failed
    assert proc.returncode == 0, proc.stderr
    summary = summaries(tmp_path / "run")[0]
    streams = summary["results"]["pipeline"]["streams"]
    assert streams["a"]["unreadable"] == 1 and streams["a"]["model"] == "small"
    assert streams["b"]["events"]["zones"]["z"] == {"enter": 0, "leave": 0, "max_inside": 0}
    (tmp_path / "clip.mp4").write_bytes(b"\x00" * 100)  # now no stream can run
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"streams.b.source={video}",
                   f"hydra.run.dir={tmp_path}/run2", cwd=tmp_path)
    assert proc.returncode == 6, proc.stderr
    assert "every stream failed" in proc.stderr and "Traceback" not in proc.stderr
    summary = summaries(tmp_path / "run2")[0]
    assert summary["status"] == "failed" and summary["error"]["exit_code"] == 6
    assert summary["results"]["pipeline"]["streams"]["b"]["status"] == "failed"
