"""Versions of everything that matters for a run, for the summary."""

from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError, version

DISTRIBUTIONS = (
    "coral_inference", "hydra-core", "omegaconf", "numpy", "ai-edge-litert", "tflite-runtime",
    "tensorflow", "opencv-python-headless", "opencv-python", "pycoral",
)


def collect_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": sys.version.split()[0], "machine": platform.machine(),
                                  "system": platform.system()}
    for dist in DISTRIBUTIONS:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    out["libedgetpu"] = _libedgetpu()
    return out


def _libedgetpu() -> str | None:
    """The installed Edge TPU runtime package, from dpkg's status file (no subprocess)."""
    try:
        text = open("/var/lib/dpkg/status", encoding="utf-8", errors="replace").read()
    except OSError:
        return None
    for block in text.split("\n\n"):
        if block.startswith("Package: libedgetpu1-"):
            lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if "installed" in lines.get("Status", ""):
                return f"{lines['Package']} {lines.get('Version', '?')}"
    return None
