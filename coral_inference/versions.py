"""Versions of everything that matters for a run, for the summary."""

from __future__ import annotations

import platform
import sys

from .dists import version

DISTRIBUTIONS = (
    "coral_inference", "hydra-core", "omegaconf", "numpy", "ai-edge-litert", "tflite-runtime",
    "tensorflow", "opencv-python-headless", "opencv-python", "pycoral",
)


def collect_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": sys.version.split()[0], "machine": platform.machine(),
                                  "system": platform.system()}
    for dist in DISTRIBUTIONS:
        out[dist] = version(dist)
    out["libedgetpu"] = libedgetpu_package()
    return out


def libedgetpu_package(status: str = "/var/lib/dpkg/status") -> str | None:
    """The installed Edge TPU runtime package, from dpkg's status file (no subprocess): 'libedgetpu1-std 16.0'."""
    found = dpkg_installed("libedgetpu1-", status)
    return f"{found[0][0]} {found[0][1]}" if found else None


def dpkg_installed(prefix: str, status: str = "/var/lib/dpkg/status") -> list[tuple[str, str]]:
    """(package, version) of every installed package whose name starts with ``prefix``, from dpkg's status
    file. Only the matching entries are decoded and parsed: the file is large (~0.6 MB on a desktop)."""
    try:
        with open(status, "rb") as handle:
            data = handle.read()
    except OSError:
        return []
    marker = b"Package: " + prefix.encode()
    out = []
    start = data.find(marker)
    while start != -1:
        end = data.find(b"\n\n", start)
        if start == 0 or data[start - 2:start] == b"\n\n":  # an entry begins here
            block = data[start:end if end != -1 else len(data)].decode("utf-8", errors="replace")
            lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if "installed" in lines.get("Status", "").split():
                out.append((lines["Package"], lines.get("Version", "?")))
        start = data.find(marker, start + len(marker))
    return out
