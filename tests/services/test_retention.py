"""Retention of recordings (services/retention.py Store): retain, retain_days, max_gb, oldest first, only
the files this product wrote (by the manifest's device and inode), deletions counted; end to end through
coral-run with a real H.264 file."""

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli, summaries
from media import write_h264


def write(store, kind, size):
    path, handle = store.create(kind, f"{kind}_")
    with handle:
        handle.write(b"x" * size)
    store.finished(path)
    return path


def test_max_gb_deletes_the_oldest_segments_and_clips_and_never_a_users_file(tmp_path):
    from coral_inference.services.retention import Store

    (tmp_path / "holiday.mp4").write_bytes(b"a user's video" * 1000)
    (tmp_path / "segment_00001.mp4").write_bytes(b"a user's file with our kind of name")
    store = Store(tmp_path, retain=100, max_gb=2500 / 1e9)
    first = write(store, "segment", 1000)
    clip = write(store, "clip", 1000)
    assert first.name == "segment_00000.mp4" and sorted(os.listdir(tmp_path)) == [
        "clip_00000.mp4", "holiday.mp4", "manifest.json", "segment_00000.mp4", "segment_00001.mp4"]
    second = write(store, "segment", 1000)  # 3000 bytes of ours: the oldest (first) goes
    assert second.name == "segment_00002.mp4"  # the user's segment_00001.mp4 was skipped, not replaced
    assert not first.exists() and clip.exists() and second.exists()
    assert store.deleted == {"segment": 1, "clip": 0, "bytes": 1000}
    clip.unlink()
    clip.write_bytes(b"put there by someone else")  # our name, not our file any more
    write(store, "segment", 1000)
    write(store, "segment", 1000)
    assert clip.read_bytes() == b"put there by someone else" and store.not_ours == 1
    assert (tmp_path / "holiday.mp4").stat().st_size == 14000
    assert (tmp_path / "segment_00001.mp4").read_bytes() == b"a user's file with our kind of name"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert [e["file"] for e in manifest["files"]] == ["segment_00003.mp4", "segment_00004.mp4"]


def test_retain_days_deletes_what_is_older_and_retain_counts_segments(tmp_path, monkeypatch):
    from coral_inference.services import retention
    from coral_inference.services.retention import Store

    now = [1_000_000.0]
    monkeypatch.setattr(retention.time, "time", lambda: now[0])
    store = Store(tmp_path, retain=2, retain_days=1.0)
    old_clip = write(store, "clip", 10)
    a = write(store, "segment", 10)
    now[0] += 86400 + 1  # a day later
    b = write(store, "segment", 10)
    assert not old_clip.exists() and not a.exists() and b.exists()
    c, d = write(store, "segment", 10), write(store, "segment", 10)
    assert not b.exists() and c.exists() and d.exists()  # retain=2 segments
    assert store.deleted == {"segment": 2, "clip": 1, "bytes": 30}


def test_a_manifest_left_in_the_folder_is_taken_up_only_for_files_still_ours(tmp_path):
    from coral_inference.services.retention import Store

    first = Store(tmp_path, retain=10)
    kept, replaced = write(first, "segment", 5), write(first, "segment", 5)
    replaced.unlink()
    replaced.write_bytes(b"someone else's")
    again = Store(tmp_path, retain=1)  # the same run folder used again
    assert [e["file"] for e in again.kept("segment")] == [kept.name]
    write(again, "segment", 5)
    assert not kept.exists() and replaced.read_bytes() == b"someone else's"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(1, 5000), min_size=1, max_size=12), limit=st.integers(1, 12000))
def test_max_gb_keeps_the_newest_files_that_fit(tmp_path_factory, sizes, limit):
    from coral_inference.services.retention import Store

    folder = tmp_path_factory.mktemp("store")
    store = Store(folder, retain=1000, max_gb=limit / 1e9)
    for size in sizes:
        write(store, "segment", size)
    kept = [e["bytes"] for e in store.kept("segment")]
    assert sum(kept) <= limit  # every file is finished: what is left fits
    assert kept == sizes[len(sizes) - len(kept):]  # the newest ones, in order: the oldest went first
    if len(kept) < len(sizes):
        assert sum(kept) + sizes[len(sizes) - len(kept) - 1] > limit  # nothing deleted that would have fitted
    assert store.deleted["segment"] == len(sizes) - len(kept)
    assert sorted(p.name for p in folder.glob("segment_*")) == [e["file"] for e in store.kept("segment")]


def test_coral_run_counts_what_retention_deleted(tmp_path):
    video = write_h264(tmp_path / "cam.mp4", frames=60, fps=10, gop=10)
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={video}", "services=recording",
                     "services.recording.segment_s=1", "services.recording.max_gb=0.000004",
                     f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    recording = summaries(tmp_path / "run")[0]["results"]["pipeline"]["streams"]["default"]["sinks"]["recording"]
    files = sorted((tmp_path / "run" / "recordings" / "default").glob("segment_*"))
    assert recording["segments_written"] == 6 and recording["retention"]["deleted"]["segment"] == 6 - len(files)
    assert 0 < len(files) < 6 and sum(f.stat().st_size for f in files) <= 4000
    assert files[-1].name == "segment_00005.mp4"  # the newest kept
