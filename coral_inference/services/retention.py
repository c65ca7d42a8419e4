"""The files one stream's recorder wrote, and their retention (services.recording retain, retain_days,
max_gb).

``Store`` creates every segment and clip (files.create_new: a new name, O_EXCL, never through a link)
and lists it in ``manifest.json`` beside them: name, kind, when it was created, its size, the file's
device and inode and (once finished) its modification time. Retention deletes only files of that list,
and only while the file at that name is still the one written (a regular file with the same device,
inode, size and modification time): a user's file, or one put in place of ours, is never deleted. Oldest first: segments beyond ``retain``; segments and clips
older than ``retain_days``; then the oldest segments and clips while the folder's total is above
``max_gb``. Files still being written are never deleted. What was deleted is counted.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Optional

MANIFEST = "manifest.json"
GB = 1_000_000_000


def _same(info: os.stat_result, entry: dict[str, Any]) -> bool:
    """The file at the name is still the one written: device, inode (which a file system reuses), and,
    once finished, size and modification time."""
    if (info.st_dev, info.st_ino) != (entry.get("dev"), entry.get("ino")):
        return False
    if "mtime_ns" in entry:
        return (info.st_size, info.st_mtime_ns) == (entry["bytes"], entry["mtime_ns"])
    return True


class Store:
    def __init__(self, directory: Path, retain: int, retain_days: Optional[float] = None,
                 max_gb: Optional[float] = None):
        self.directory = Path(directory)
        self.retain = max(1, int(retain))
        self.retain_days = retain_days
        self.max_bytes = None if max_gb is None else float(max_gb) * GB
        self.entries: list[dict[str, Any]] = []  # oldest first
        self.open: set[str] = set()  # names still being written
        self.deleted = {"segment": 0, "clip": 0, "bytes": 0}
        self.not_ours = 0  # listed files replaced by something else: left alone
        self._lock = threading.Lock()
        self._load()

    # files ------------------------------------------------------------------------------------------
    def create(self, kind: str, stem: str, suffix: str = ".mp4") -> tuple[Path, Any]:
        """A new file of ``kind`` (segment, clip): (path, binary file object)."""
        from ..files import create_new

        with self._lock:
            start = 1 + max((e["n"] for e in self.entries if e["kind"] == kind), default=-1)
            path, handle = create_new(self.directory, stem, suffix, start=start, what=f"recording {kind}")
            info = os.fstat(handle.fileno())
            n = int(path.stem.rpartition("_")[2])
            self.entries.append({"file": path.name, "kind": kind, "n": n, "created": time.time(), "bytes": 0,
                                 "dev": info.st_dev, "ino": info.st_ino})
            self.open.add(path.name)
            self._save()
        return path, handle

    def finished(self, path: Path, **facts: Any) -> None:
        """``path`` is complete: its size (and ``facts``: frames, seconds…) noted, then retention runs."""
        with self._lock:
            self.open.discard(path.name)
            for entry in self.entries:
                if entry["file"] == path.name:
                    try:
                        info = os.lstat(path)
                        entry.update(bytes=info.st_size, mtime_ns=info.st_mtime_ns)
                    except OSError:
                        pass
                    entry.update(facts)
            self._enforce()
            self._save()

    def kept(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self.entries if e["kind"] == kind]

    def paths(self, kind: str, finished_only: bool = False) -> list[Path]:
        with self._lock:
            return [self.directory / e["file"] for e in self.entries
                    if e["kind"] == kind and not (finished_only and e["file"] in self.open)]

    # retention --------------------------------------------------------------------------------------
    def _enforce(self) -> None:
        done = [e for e in self.entries if e["file"] not in self.open]
        doomed: list[dict[str, Any]] = []
        segments = [e for e in done if e["kind"] == "segment"]
        doomed += segments[: max(0, len([e for e in self.entries if e["kind"] == "segment"]) - self.retain)]
        if self.retain_days is not None:
            cutoff = time.time() - self.retain_days * 86400.0
            doomed += [e for e in done if e["created"] < cutoff and e not in doomed]
        if self.max_bytes is not None:
            total = sum(e["bytes"] for e in self.entries if e not in doomed)
            for entry in sorted(done, key=lambda e: e["created"]):
                if total <= self.max_bytes:
                    break
                if entry not in doomed:
                    doomed.append(entry)
                    total -= entry["bytes"]
        for entry in doomed:
            self._delete(entry)

    def _delete(self, entry: dict[str, Any]) -> None:
        import stat

        path = self.directory / entry["file"]
        self.entries.remove(entry)
        try:
            info = os.lstat(path)
        except OSError:
            return  # already gone
        if not stat.S_ISREG(info.st_mode) or not _same(info, entry):
            self.not_ours += 1  # not the file this product wrote any more: never deleted
            return
        try:
            os.unlink(path)
        except OSError:
            return
        self.deleted[entry["kind"]] = self.deleted.get(entry["kind"], 0) + 1
        self.deleted["bytes"] += entry["bytes"]

    # the manifest -----------------------------------------------------------------------------------
    def _load(self) -> None:
        """A manifest already there (the same run folder used again): its files that are still ours."""
        from ..files import FileProblem, load_json_checked

        path = self.directory / MANIFEST
        if not os.path.lexists(path):
            return
        try:
            data = load_json_checked(path, "recording manifest")
        except FileProblem:
            return
        for entry in data.get("files", []) if isinstance(data, dict) else []:
            try:
                info = os.lstat(self.directory / str(entry["file"]))
                if _same(info, entry) and "/" not in str(entry["file"]):
                    self.entries.append(dict(entry))
            except (OSError, KeyError, TypeError):
                continue

    def _save(self) -> None:
        from ..files import write_json_atomic

        write_json_atomic(self.directory / MANIFEST, {"files": self.entries}, "recording manifest")

    def report(self) -> dict[str, Any]:
        with self._lock:
            return {"deleted": dict(self.deleted), "not_ours": self.not_ours,
                    "bytes": sum(e["bytes"] for e in self.entries),
                    "retain": self.retain, "retain_days": self.retain_days,
                    "max_gb": None if self.max_bytes is None else self.max_bytes / GB}
