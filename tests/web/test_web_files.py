"""Recordings are served by name only (coral_inference/web/files.py): property tests over arbitrary
names, and the file-system cases (symlinks, files outside the folder, unlisted files)."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from coral_inference.web import files


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=40))
def test_no_name_reaches_outside_the_folder(tmp_path_factory, name):
    root = tmp_path_factory.mktemp("rec")
    clip = root / "clip.mp4"
    clip.write_bytes(b"x")
    try:
        found = files.find([clip], name, root)
    except files.Refused:
        assert name in ("", ".", "..") or any(c in name for c in "/\\\0") or ".." in name or \
            name.startswith("~") or os.path.isabs(name)
        return
    assert found is None or (found == clip.resolve() and name == "clip.mp4")


def test_refused_forms():
    for name in ("..", "../x", "a/../../b", "/etc/passwd", "..\\x", "a\0b", "~root", "x..y", "."):
        try:
            files.check_name(name)
        except files.Refused as exc:
            assert "expected a name from the recordings list" in str(exc)
        else:
            raise AssertionError(f"{name!r} was accepted")


def test_symlinks_and_files_outside_the_folder_are_not_served(tmp_path):
    root = tmp_path / "rec" / "cam"
    root.mkdir(parents=True)
    outside = tmp_path / "secret.mp4"
    outside.write_bytes(b"s")
    link = root / "link.mp4"
    link.symlink_to(outside)
    real = root / "real.mp4"
    real.write_bytes(b"v")
    assert files.find([link, real, outside], "link.mp4", root) is None
    assert files.find([link, real, outside], "secret.mp4", root) is None  # listed, but not inside the folder
    assert files.find([link, real], "real.mp4", root) == real.resolve()
    assert files.find([real], "other.mp4", root) is None
    assert [f["name"] for f in files.listing([link, real, root / "gone.mp4"])] == ["real.mp4"]
