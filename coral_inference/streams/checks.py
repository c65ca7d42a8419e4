"""Config-time checks of the streams (registry "check" entry "streams"): every problem at once, each
naming ``streams.<name>.<key>`` (``run.source`` for the shorthand of ``streams.default.source``), its
value and its source; each stream's are found where its spec is built (streams/spec.py). Nothing is
opened besides stat/listing; a live source that is down is not a configuration error. The numeric
ranges (max_fps, reconnect.*, run.max_frames, …) are config/ranges.py's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

SOURCE_EXPECTED = "a video file, a folder of images, a camera index (0, 1, …) or a stream URL (rtsp://, http://…)"
URL_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt")
RUNS_STREAMS = ("pipeline", "serve")


_DIGITS = re.compile(r"[0-9]+")  # ASCII digits only ('١' or '²' are not a camera index); fullmatch: no '0\n'


def source_kind(source: str) -> str:
    """camera | url | folder | file (by the text; existence is checked separately)."""
    text = str(source).strip()
    if _DIGITS.fullmatch(text):
        return "camera"
    if "://" in text:
        return "url"
    return "folder" if Path(text).expanduser().is_dir() else "file"


def source_problem(text: Any) -> str | None:
    """Why ``text`` is not a usable source (None when it is)."""
    if text in (None, ""):
        return "no source"
    text = str(text).strip()
    kind = source_kind(text)
    if kind == "camera":
        from ..config.ranges import CAMERA_INDEX

        why = CAMERA_INDEX.problem(int(text)) if len(text) <= 12 else "too large"
        if why:
            return f"camera index {why} ({CAMERA_INDEX.doc}: {CAMERA_INDEX.expected()})"
    elif kind == "url":
        scheme, _, rest = text.partition("://")
        if scheme.lower() not in URL_SCHEMES:
            return f"unknown URL scheme {scheme!r}"
        if not rest or rest.startswith(("/", ":")) or "@" in rest.split("/")[0] and not rest.split("@")[-1]:
            return "no host in the URL"
    elif kind == "folder":
        from ..backends.images import IMAGE_SUFFIXES

        folder = Path(text).expanduser()
        if not any(p.suffix.lower() in IMAGE_SUFFIXES for p in folder.iterdir() if p.is_file()):
            return "no images in the folder"
    elif kind == "file" and not Path(text).expanduser().is_file():
        return "no such file or folder"
    return None


def check(config: Any, issues: Any) -> None:
    """Every stream's problems (streams/spec.py build_specs), then the run's stream settings."""
    from .spec import build_specs, entries

    mode = getattr(config.run.mode, "value", config.run.mode)
    issues = issues.for_config(config)

    def add(key: str, message: str, value: Any, expected: str) -> None:
        issues.add(key, message, value=value, expected=expected)

    if mode in RUNS_STREAMS and not any(e.config.enabled for e in entries(config).values()):
        add("run.source", f"run.mode={mode} needs a source: run.source or an enabled entry of streams",
            config.run.source, SOURCE_EXPECTED)
    if "default" in dict(config.models):
        add("models.default", "the model named 'default' is `model`", None, "model.path=… (or another name)")
    build_specs(config, issues)
    if mode in RUNS_STREAMS:
        _check_services(config, add)


def _check_services(config: Any, add: Any) -> None:
    """What the stream sinks need of services (their numeric ranges: config/ranges.py)."""
    from pathlib import PurePath

    from ..services.recording import CODECS

    rec = config.services.recording
    if rec.codec not in CODECS:
        add("services.recording.codec", "not an encoder the recorder has", rec.codec,
            "h264 (browsers play it) or mp4v (they do not)")
    path = PurePath(str(rec.path).strip())
    if not str(rec.path).strip() or path.is_absolute() or str(rec.path).startswith("~") or ".." in path.parts:
        add("services.recording.path", "not a folder inside the run folder", rec.path,
            "a relative folder without '..', e.g. recordings (it is made under the run folder)")
    metrics = config.services.metrics
    if metrics.enabled and not str(metrics.influxdb_url or "").startswith(("http://", "https://")):
        add("services.metrics.influxdb_url", "not an http(s) URL", metrics.influxdb_url,
            "http://host:8086 (InfluxDB 1.x or 2.x)")
