"""Recordings served by name only: a file the stream manager lists for that stream, inside that
stream's recordings folder, a regular file and not a symlink. Anything else is refused before the
file system is asked (``..``, separators, absolute paths, NUL, and their %-encoded forms, which
aiohttp has already decoded when the name arrives here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class Refused(ValueError):
    """A name that can never be a recording (400)."""


def check_name(name: str) -> None:
    if not name or name in (".", "..") or any(c in name for c in ("/", "\\", "\0")) or ".." in name \
            or name.startswith("~") or Path(name).is_absolute():
        raise Refused(f"not a recording file name: {name!r} (expected a name from the recordings list)")


def listing(paths: list[Path]) -> list[dict[str, Any]]:
    out = []
    for path in paths:
        try:
            st = path.lstat()
        except OSError:
            continue
        if path.is_symlink() or not path.is_file():
            continue
        out.append({"name": path.name, "bytes": st.st_size, "modified": st.st_mtime})
    return out


def find(paths: list[Path], name: str, root: Path | None) -> Path | None:
    """The listed recording called ``name``; None when there is none (404). ``root``: the folder every
    recording must resolve inside (None: the listed file's own folder)."""
    check_name(name)
    for path in paths:
        if path.name != name:
            continue
        if path.is_symlink() or not path.is_file():
            return None
        real = path.resolve()
        inside = Path(root).resolve() if root is not None else path.parent.resolve()
        if inside not in real.parents:
            return None
        return real
    return None
