"""Config-time checks of the streams (registry "check" entry "streams"): every problem at once, each
naming ``streams.<name>.<key>`` (or ``run.*`` for the run.source shorthand), its value and its source.
Nothing is opened besides stat/listing; a live source that is down is not a configuration error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

SOURCE_EXPECTED = "a video file, a folder of images, a camera index (0, 1, …) or a stream URL (rtsp://, http://…)"
URL_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
RUNS_STREAMS = ("pipeline", "serve")


def source_kind(source: str) -> str:
    """camera | url | folder | file (by the text; existence is checked separately)."""
    text = str(source).strip()
    if text.isdigit():
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
    if kind == "url":
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


def stream_entries(config: Any) -> dict[str, tuple[str, Any]]:
    """name -> (key prefix, StreamConfig-like) of every configured stream, run.source as "default"."""
    entries = {name: (f"streams.{name}", stream) for name, stream in dict(config.streams).items()}
    if config.run.source not in (None, "") and "default" not in entries:
        from ..config.schema import StreamConfig

        entries["default"] = ("run.source", StreamConfig(source=config.run.source))
    return entries


def check(config: Any, issues: Any) -> None:
    from ..config.provenance import source_of as _source

    mode = getattr(config.run.mode, "value", config.run.mode)

    def add(key: str, message: str, value: Any, expected: str, severity: str = "error") -> None:
        issues.add(key, message, value=value, source=_source(config, key), expected=expected, severity=severity)

    entries = stream_entries(config)
    if mode in RUNS_STREAMS and not any(s.enabled for _, s in entries.values()):
        add("run.source", f"run.mode={mode} needs a source: run.source or an enabled entry of streams",
            config.run.source, SOURCE_EXPECTED)
    if "default" in dict(config.models):
        add("models.default", "the model named 'default' is `model`", None, "model.path=… (or another name)")
    for name, (prefix, stream) in entries.items():
        _check_stream(config, name, prefix, stream, add)
    _check_run(config, add, mode)
    recorders: dict[str, str] = {}
    for name, (_prefix, stream) in entries.items():
        if stream.enabled and _sink_on(config, stream, "recording"):
            folder = name.lower()
            if folder in recorders:
                add(f"streams.{name}.sinks.recording", f"streams {recorders[folder]} and {name} record into one "
                    f"folder ({config.services.recording.path}/{folder} on a case-insensitive file system)",
                    True, "stream names that differ in more than letter case")
            recorders.setdefault(folder, name)


def _sink_on(config: Any, stream: Any, sink: str) -> bool:
    value = getattr(stream.sinks, sink)
    if value is not None:
        return bool(value)
    service = getattr(config.services, sink, None)
    return bool(getattr(service, "enabled", True))


def _key(prefix: str, field: str) -> str:
    return prefix if prefix == "run.source" and field == "source" else (
        f"run.{field}" if prefix == "run.source" else f"{prefix}.{field}")


def _check_stream(config: Any, name: str, prefix: str, stream: Any, add: Any) -> None:
    import difflib

    if prefix != "run.source" and not NAME_RE.match(name):
        add(prefix, "not a usable stream name (it names a folder and a metrics tag)", name,
            "letters, digits, _ and -, starting with a letter or digit")
    if not stream.enabled:
        return
    problem = source_problem(stream.source)
    if problem:
        add(_key(prefix, "source"), problem, stream.source, SOURCE_EXPECTED)
    models = {"default": config.model, **dict(config.models)}
    model = models.get(stream.model)
    if model is None:
        close = difflib.get_close_matches(stream.model, list(models), n=1)
        add(_key(prefix, "model"), f"no model named {stream.model!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
            stream.model, "default (`model`) or a key of `models`")
    active = config.active_backends()
    backend = stream.backend or (active[0] if active else None)
    if stream.backend is not None and stream.backend not in active:
        add(_key(prefix, "backend"), f"backend {stream.backend!r} is not enabled", stream.backend,
            f"one of backends.enabled minus disabled: {', '.join(active) or '(none)'}")
    elif model is not None and backend is not None and stream.model != "default":
        _check_model_on_backend(config, prefix, stream.model, model, backend, add)
    if stream.max_fps is not None and not stream.max_fps > 0:
        add(_key(prefix, "max_fps"), "must be positive", stream.max_fps, "frames per second > 0, or null")
    rc = stream.reconnect
    if rc.max_attempts is not None and rc.max_attempts < 0:
        add(_key(prefix, "reconnect.max_attempts"), "must not be negative", rc.max_attempts, "0, 1, … or null (forever)")
    if not rc.backoff_s > 0 or rc.backoff_max_s < rc.backoff_s:
        add(_key(prefix, "reconnect.backoff_s"), "backoff must be positive and at most backoff_max_s",
            [rc.backoff_s, rc.backoff_max_s], "0 < backoff_s <= backoff_max_s")
    from .workflow import check_blocks

    check_blocks(stream.workflow, _key(prefix, "workflow"), add)


def _check_model_on_backend(config: Any, prefix: str, model_name: str, model: Any, backend: str, add: Any) -> None:
    """An Edge-TPU-compiled model on a CPU backend (or one that may fall back to the CPU) needs cpu_path."""
    from ..backends.models import EDGETPU_CUSTOM_OP
    from ..backends.selftest import BUILTIN_PREFIX

    key = f"models.{model_name}.path"
    if not model.path or model.path.startswith(BUILTIN_PREFIX):
        return
    path = Path(model.path).expanduser()
    if not path.is_file():
        add(key, "model file not found", model.path, "an existing .tflite file")
        return
    try:
        spec = config.backend_spec(backend)
    except KeyError:
        return
    on_cpu = spec.kind == "cpu" or getattr(spec.fallback, "value", spec.fallback) == "cpu"
    if on_cpu and not model.cpu_path and EDGETPU_CUSTOM_OP in path.read_bytes():
        add(_key(prefix, "model"), f"model {model_name!r} ({model.path}) is Edge-TPU-compiled and backend "
            f"{backend!r} runs (or may fall back) on the CPU, which cannot run it", model_name,
            f"models.{model_name}.cpu_path (its CPU twin), or an Edge TPU backend")


def _check_run(config: Any, add: Any, mode: str) -> None:
    run = config.run
    if run.max_frames is not None and run.max_frames < 1:
        add("run.max_frames", "must be at least 1", run.max_frames, "a positive integer or null")
    if run.duration_s is not None and run.duration_s <= 0:
        add("run.duration_s", "must be positive", run.duration_s, "seconds > 0 or null")
    if run.top_k < 1:
        add("run.top_k", "must be at least 1", run.top_k, "a positive integer")
    if mode not in RUNS_STREAMS:
        return
    rec = config.services.recording
    if len(rec.codec) != 4:
        add("services.recording.codec", "not a FourCC code", rec.codec, "4 characters, e.g. mp4v or MJPG")
    if rec.segment_s <= 0 or rec.retain < 1:
        bad = "segment_s" if rec.segment_s <= 0 else "retain"
        add(f"services.recording.{bad}", "must be positive", getattr(rec, bad), "segment_s > 0, retain >= 1")
    if rec.fps is not None and not rec.fps > 0:
        add("services.recording.fps", "must be positive", rec.fps, "frames per second > 0, or null (the arrival rate)")
    metrics = config.services.metrics
    if metrics.enabled and not str(metrics.influxdb_url or "").startswith(("http://", "https://")):
        add("services.metrics.influxdb_url", "not an http(s) URL", metrics.influxdb_url,
            "http://host:8086 (InfluxDB 1.x or 2.x)")
