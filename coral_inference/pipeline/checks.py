"""Config-time checks of the pipeline keys (no file is opened besides stat)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config.provenance import source_of as _source_of

SOURCE_EXPECTED = "a video file, a folder of images, a camera index (0, 1, …) or a stream URL (rtsp://, http://…)"


def source_kind(source: str) -> str:
    """camera | url | folder | file (by the text; existence is checked separately)."""
    text = str(source).strip()
    if text.isdigit():
        return "camera"
    if "://" in text:
        return "url"
    return "folder" if Path(text).expanduser().is_dir() else "file"


def check(config: Any, issues: Any, source_of: Any = _source_of) -> None:
    """The registry check "pipeline" (plugins/builtins.py): run.source and the services a pipeline uses."""
    run = config.run
    if getattr(run.mode, "value", run.mode) != "pipeline":
        return

    def add(key: str, message: str, value: Any, expected: str) -> None:
        issues.add(key, message, value=value, source=source_of(config, key), expected=expected)

    if run.source in (None, ""):
        add("run.source", "run.mode=pipeline needs a source", run.source, SOURCE_EXPECTED)
    elif source_kind(run.source) == "file" and not Path(run.source).expanduser().is_file():
        add("run.source", "no such file or folder", run.source, SOURCE_EXPECTED)
    if run.max_frames is not None and run.max_frames < 1:
        add("run.max_frames", "must be at least 1", run.max_frames, "a positive integer or null")
    if run.duration_s is not None and run.duration_s <= 0:
        add("run.duration_s", "must be positive", run.duration_s, "seconds > 0 or null")
    if run.top_k < 1:
        add("run.top_k", "must be at least 1", run.top_k, "a positive integer")
    labels = config.model.labels
    if labels and not Path(labels).expanduser().is_file():
        add("model.labels", "labels file not found", labels, "a text file, one label per line (or 'N label')")
    rec = config.services.recording
    if rec.fps is not None and not 0 < rec.fps < float("inf"):  # its own key (OpenCV's failure named the codec)
        add("services.recording.fps", "must be a positive frame rate", rec.fps,
            "frames per second > 0, or null for the source's rate")
    if rec.enabled and len(rec.codec) != 4:
        add("services.recording.codec", "not a FourCC code", rec.codec, "4 characters, e.g. mp4v or MJPG")
    if rec.enabled and (rec.segment_s <= 0 or rec.retain < 1):
        add("services.recording.segment_s" if rec.segment_s <= 0 else "services.recording.retain",
            "must be positive", rec.segment_s if rec.segment_s <= 0 else rec.retain, "segment_s > 0, retain >= 1")
    metrics = config.services.metrics
    if metrics.enabled and not str(metrics.influxdb_url or "").startswith(("http://", "https://")):
        add("services.metrics.influxdb_url", "not an http(s) URL", metrics.influxdb_url,
            "http://host:8086 (InfluxDB 1.x or 2.x)")
    for service, patch, what in (("metrics", "metric_sink", "metrics are sent"),
                                 ("recording", "video_sink", "frames are recorded")):
        wanted = config.patches.get(patch)
        if getattr(config.services, service).enabled and not wanted:
            issues.add(f"patches.{patch}", f"services.{service}.enabled is true but the {patch} patch is off: "
                       f"no {what} in this run", value=wanted, source=source_of(config, f"patches.{patch}"),
                       severity="warning", expected=f"patches.{patch}=true (or services.{service}.enabled=false)")
