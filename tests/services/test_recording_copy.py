"""Recording by packet copy (an H.264 file through coral-run), and a recorder that cannot write: failed
with one reason, the run degraded, said once."""

import json

from conftest import run_cli, summaries
from media import codec_of, packets_of, write_h264, write_video


def test_an_h264_file_is_recorded_by_copying_its_packets(tmp_path):
    video = write_h264(tmp_path / "cam.mp4", frames=45, fps=10, gop=10)
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={video}", "services=recording",
                     "services.recording.segment_s=1.5", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = summaries(tmp_path / "run")[0]
    assert summary["status"] == "ok"
    recording = summary["results"]["pipeline"]["streams"]["default"]["sinks"]["recording"]
    assert recording["mode"] == "copy" and recording["status"] == "stopped" and recording["reason"] is None
    files = sorted((tmp_path / "run" / "recordings" / "default").glob("segment_*"))
    # cut on the first keyframe once 1.5 s have passed: keyframes every 1 s -> 2 s segments (20, 20, 5 frames)
    segments = [packets_of(f) for f in files]
    assert [len(s) for s in segments] == [20, 20, 5]
    assert all(s[0][1] for s in segments)  # each segment starts on a keyframe
    source = packets_of(video)
    assert [p[2] for s in segments for p in s] == [p[2] for p in source]  # the very bytes: no decode, no encode
    # the file's own timestamps, counted from each segment's start
    assert [[p[0] - s[0][0] for p in s] for s in segments] == [[p[0] - source[i][0] for p in source[i:i + len(s)]]
                                                              for i, s in zip((0, 20, 40), segments)]
    assert all(codec_of(f) == ("h264", "yuv420p") for f in files)


def test_draw_true_encodes_with_results_drawn(tmp_path):
    video = write_h264(tmp_path / "cam.mp4", frames=12, fps=10)
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={video}", "services=recording",
                     "services.recording.draw=true", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    recording = summaries(tmp_path / "run")[0]["results"]["pipeline"]["streams"]["default"]["sinks"]["recording"]
    assert recording["mode"] == "encode" and "draw" in recording["copy_unavailable"]
    [segment] = (tmp_path / "run" / "recordings" / "default").glob("segment_*")
    assert len(packets_of(segment)) == 12 and codec_of(segment) == ("h264", "yuv420p")
    assert packets_of(segment)[1][2] != packets_of(video)[1][2]  # encoded here, not copied


def test_a_recording_that_cannot_be_written_fails_once_and_degrades_the_run(tmp_path):
    video = write_video(tmp_path / "clip.mp4", frames=30, fps=10)
    run = tmp_path / "run"
    (run / "recordings").mkdir(parents=True)
    (run / "recordings" / "default").write_text("a user's file where the stream's folder would go")
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={video}", "services=recording",
                     f"hydra.run.dir={run}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr  # the stream went on
    lines = [line for line in result.stderr.splitlines() if "recording failed" in line]
    assert len(lines) == 1, result.stderr  # said once, not once per frame
    summary = summaries(run)[0]
    assert summary["status"] == "degraded"
    stream = summary["results"]["pipeline"]["streams"]["default"]
    recording = stream["sinks"]["recording"]
    assert stream["status"] == "finished" and stream["frames"] == 30
    assert recording["status"] == "failed" and "recording folder" in recording["reason"]
    assert recording["lost"] == 29  # every later frame counted
    assert summary["problems"]["streams.default.recording"] == recording["reason"]  # as soon as it failed
    assert recording["reason"] in summary["problems"]["streams.default"]  # the stream's health at the end
    assert (run / "recordings" / "default").read_text().startswith("a user's file")
    assert json.dumps(summary).count("recording failed") == 1  # the log holds it once too


def test_draw_true_draws_the_streams_zones_and_lines_into_the_recording(tmp_path):
    import av
    import numpy as np

    from dataclasses import fields

    from coral_inference.config.schema import StreamConfig

    video = write_h264(tmp_path / "cam.mp4", frames=6, fps=10, size=(320, 240))
    line, polygon = "[[0.0, 0.5], [1.0, 0.5]]", "[[0.1, 0.1], [0.4, 0.1], [0.4, 0.3]]"
    if "zones" in {f.name for f in fields(StreamConfig)}:  # the events' zones and lines (they need a tracker)
        shapes = ["streams.default.tracker.kind=iou", f"streams.default.zones.door.polygon={polygon}",
                  f"streams.default.lines.gate.points={line}"]
    else:  # the workflow blocks that count in a zone and across a line
        shapes = [f"streams.default.workflow=[{{block: line_counter, line: {line}}}, "
                  f"{{block: zone_count, polygon: {polygon}}}]"]
    runs = {}
    for draw in ("false", "true"):
        result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={video}", "services=recording",
                         f"services.recording.draw={draw}", *shapes,
                         f"hydra.run.dir={tmp_path}/run-{draw}", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        [segment] = (tmp_path / f"run-{draw}" / "recordings" / "default").glob("segment_*")
        with av.open(str(segment)) as container:
            runs[draw] = next(container.decode(video=0)).to_ndarray(format="bgr24").astype(int)
    plain, drawn = runs["false"], runs["true"]
    row = drawn[119:122, 20:300]  # the line across the middle: yellow (B low, G and R high)
    assert row[..., 1].mean() - row[..., 0].mean() > 100 and abs(plain[119:122, 20:300, 1] - plain[119:122, 20:300, 0]).mean() < 30
    edge = drawn[23:26, 60:110]  # the zone's top edge, y = 0.1: magenta (G low)
    assert edge[..., 2].mean() - edge[..., 1].mean() > 100
    assert np.abs(drawn[200:230, 200:300] - plain[200:230, 200:300]).mean() < 12  # elsewhere: the same picture
