"""Recording by encoding: real H.264 / MPEG-4 files written with PyAV, read back with OpenCV and PyAV."""

import pytest

from conftest import run_cli, summaries
from media import codec_of, frame_count, write_video


def test_segments_rotate_and_retention_holds(tmp_path):
    import numpy as np

    from coral_inference.services.recording import Recorder

    recorder = Recorder(tmp_path / "rec", fps=10, segment_s=0.5, retain=2)
    for i in range(23):
        recorder.write(np.full((48, 64, 3), i * 10 % 256, np.uint8))
    report = recorder.close()
    assert report["segments_written"] == 5 and report["deleted"] == 3 and report["codec"] == "h264"
    files = sorted((tmp_path / "rec").glob("segment_*"))
    assert [f.name for f in files] == ["segment_00003.mp4", "segment_00004.mp4"]
    assert [frame_count(f) for f in files] == [5, 3]
    assert [s["frames"] for s in report["kept"]] == [5, 3]
    assert [codec_of(f) for f in files] == [("h264", "yuv420p")] * 2  # what browsers play


def test_mp4v_is_still_written_when_asked(tmp_path):
    import numpy as np

    from coral_inference.services.recording import Recorder

    recorder = Recorder(tmp_path / "rec", fps=10, segment_s=10, retain=1, codec="mp4v")
    for i in range(7):
        recorder.write(np.full((48, 64, 3), i * 30, np.uint8))
    [kept] = recorder.close()["kept"]
    assert frame_count(kept["file"]) == 7 and codec_of(kept["file"])[0] == "mpeg4"


def test_frames_of_another_size_are_resized_not_silently_lost(tmp_path):
    """An image folder mixes sizes (cat.bmp 512x341, grace_hopper.bmp 512x600): VideoWriter drops a frame whose
    size differs from the segment's without a word, so the recorder resizes it to the segment's size."""
    import numpy as np

    from coral_inference.services.recording import Recorder

    recorder = Recorder(tmp_path / "rec", fps=10, segment_s=10, retain=1)
    for i, (height, width) in enumerate([(48, 64), (61, 65), (48, 64), (30, 40)]):
        recorder.write(np.full((height, width, 3), i * 60, np.uint8))
    report = recorder.close()
    [kept] = report["kept"]
    assert kept["frames"] == 4 and frame_count(kept["file"]) == 4


def test_bad_codec_is_refused():
    from coral_inference.services.recording import Recorder

    with pytest.raises(ValueError, match="services.recording.codec: 'h26' is not one of h264, mp4v"):
        Recorder("x", fps=10, segment_s=1, retain=1, codec="h26")


def test_a_folder_that_cannot_be_made_is_a_config_error(tmp_path):
    import numpy as np

    from coral_inference.errors import ConfigError
    from coral_inference.services.recording import Recorder

    frame = np.zeros((48, 64, 3), np.uint8)
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="services.recording.path: cannot create"):
        Recorder(tmp_path / "file" / "rec", fps=10, segment_s=1, retain=1).write(frame)


def test_pipeline_records_annotated_segments_in_the_run_dir(tmp_path):
    video = write_video(tmp_path / "clip.mp4", frames=25, fps=10)
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={video}", "services=recording",
                     "services.recording.segment_s=1", "services.recording.retain=2",
                     f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    recording = summaries(tmp_path / "run")[0]["results"]["pipeline"]["streams"]["default"]["sinks"]["recording"]
    folder = tmp_path / "run" / "recordings" / "default"  # relative path: under the run directory, per stream
    assert recording["directory"] == str(folder) and recording["segments_written"] == 3
    assert recording["mode"] == "encode" and "not H.264" in recording["copy_unavailable"]  # OpenCV's mp4v file
    files = sorted(folder.glob("segment_*"))
    assert [f.name for f in files] == ["segment_00001.mp4", "segment_00002.mp4"]
    assert [frame_count(f) for f in files] == [10, 5]


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_files_are_complete_when_the_run_is_stopped_by_a_signal(tmp_path, runtime_context, signal_name):
    import os
    import signal

    from coral_inference.streams.run import run

    video = write_video(tmp_path / "clip.mp4", frames=40, fps=10)
    context = runtime_context("run.mode=pipeline", "backends=cpu", f"run.source={video}", "services=recording",
                              "services.recording.segment_s=0.4", "services.recording.retain=20",
                              "streams.default.max_fps=25")  # paced: the stop lands before the clip's end on any machine

    def on_result(name, result, frame):
        if result["frame"] == 6:
            os.kill(os.getpid(), getattr(signal, signal_name))  # Ctrl-C arrives as KeyboardInterrupt

    # pytest started as a background job ('pytest &' in a script) inherits SIGINT ignored, and Python then
    # installs no KeyboardInterrupt handler: give it Python's own, as an interactive coral-run has.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        totals = run(context, on_result=on_result)
    finally:
        signal.signal(signal.SIGINT, previous)
    stream = totals["streams"]["default"]
    assert totals["stopped_by"] == signal_name and 7 <= stream["frames"] < 40 and stream["status"] == "stopped"
    report = stream["sinks"]["recording"]
    files = sorted((context.run_dir / "recordings" / "default").glob("segment_*"))
    assert [frame_count(f) for f in files] == [s["frames"] for s in report["kept"]]  # the open segment was released
    assert sum(s["frames"] for s in report["kept"]) == stream["frames"]
    assert signal.getsignal(signal.SIGTERM) is not None  # the handler was put back
