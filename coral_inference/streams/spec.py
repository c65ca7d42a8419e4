"""One StreamSpec per stream: what the stream is, resolved once from the configuration by ``build_specs``,
which both the config check (streams/checks.py, registry "check" entry "streams") and the stream manager
call; every problem of every stream is collected there, each naming its key, value and source.

``run.source`` is the shorthand for ``streams.default.source``: it fills that stream's source (the other
``streams.default.*`` settings apply), and wins when both are set (a warning says so). A problem with
the source names the key the user wrote (``run.source`` or ``streams.<name>.source``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

from ..config.keys import model_key
from .checks import SOURCE_EXPECTED, source_kind, source_problem

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")  # matched from the start; \Z: no name ending in a newline
LIVE_KINDS = ("camera", "url")


@dataclass(frozen=True)
class StreamSpec:
    """What one enabled stream is (frozen; StreamInfo.spec for blocks and sinks)."""

    name: str
    key: str  # the prefix of this stream's keys in messages: streams.<name>
    source: str  # as configured
    source_key: str  # the key the source came from: run.source or streams.<name>.source
    source_kind: str  # camera | url | folder | file
    live: bool  # a camera or URL: newest frame only, reconnects; a file or folder: back-pressure, ends
    model_name: str  # "default" (`model`) or a key of `models`
    model_key: str  # "model" or "models.<name>"
    model: Any  # the frozen ModelConfig
    backend_name: Optional[str]  # the backend serving it (streams.<name>.backend, else the first enabled)
    max_fps: Optional[float]
    max_frames: Optional[int]  # run.max_frames: this stream stops after so many results
    workflow: tuple  # the configured workflow items ({block: <name>, <setting>: <value>, …})
    sinks: Mapping[str, bool]  # every registry sink, name -> on/off (null resolved), in run order (streams/sinkset.py)
    preview: bool  # results and frames go to the subscribers (StreamManager.subscribe)
    reconnect: Any  # the frozen ReconnectConfig
    config: Any  # the frozen StreamConfig (every other key of streams.<name>)

    def key_of(self, field: str) -> str:
        """The dotted key of one of this stream's settings, as the user wrote it."""
        return self.source_key if field == "source" else f"{self.key}.{field}"


@dataclass(frozen=True)
class Entry:
    """A configured stream before it is resolved (enabled or not)."""

    name: str
    config: Any  # frozen StreamConfig
    source: Any
    source_key: str


def entries(config: Any) -> dict[str, Entry]:
    """Every configured stream by name, run.source filling streams.default.source."""
    out = {name: Entry(name, cfg, cfg.source, f"streams.{name}.source") for name, cfg in dict(config.streams).items()}
    if config.run.source not in (None, ""):
        cfg = out["default"].config if "default" in out else default_stream_config()
        out["default"] = Entry("default", cfg, config.run.source, "run.source")
    return out


def default_stream_config() -> Any:
    """The frozen StreamConfig of a stream given by run.source alone."""
    import dataclasses

    from ..config.frozen import frozen_from_data
    from ..config.schema import StreamConfig

    return frozen_from_data(StreamConfig, dataclasses.asdict(StreamConfig()))


def build_specs(config: Any, issues: Any, *, registry: Any = None, check_workflow: bool = True) -> dict[str, StreamSpec]:
    """The spec of every enabled stream that has no problem; every problem into ``issues``.
    ``registry``: where workflow blocks and sinks are looked up (default: the built-ins, and the
    installed plugins' blocks and sinks pass). ``check_workflow``: build each block once to check its
    settings (the stream manager, which builds them right after, says False)."""
    issues = issues.for_config(config)  # each problem's source: where the value at its key came from

    def add(key: str, message: str, value: Any, expected: str, severity: str = "error",
            source_of: Optional[str] = None) -> None:
        """``source_of``: the key whose source to name (a problem at a default caused by another key)."""
        extra = {"source": issues.source(source_of)} if source_of else {}
        issues.add(key, message, value=value, expected=expected, severity=severity, **extra)

    specs: dict[str, StreamSpec] = {}
    for name, entry in entries(config).items():
        before = len(issues.errors)
        spec = _build(config, entry, add, registry, check_workflow)
        if len(issues.errors) > before:
            continue
        if spec is not None:
            specs[name] = spec
    if "default" in dict(config.streams) and config.run.source not in (None, "") and config.streams["default"].source:
        add("streams.default.source", f"run.source={config.run.source} is the shorthand for this key and replaces it",
            config.streams["default"].source, "one of run.source or streams.default.source", "warning")
    _check_recording_folders(config, specs, add)
    return specs


def _build(config: Any, entry: Entry, add: Callable, registry: Any, check_workflow: bool) -> Optional[StreamSpec]:
    import difflib

    name, cfg, key = entry.name, entry.config, f"streams.{entry.name}"
    if not NAME_RE.match(name):
        shown = name.encode("ascii", "backslashreplace").decode().replace("\n", "\\n").replace("\r", "\\r")
        add(f"streams.{shown}", "not a usable stream name (it names a folder and a metrics tag)", name,
            "letters, digits, _ and -, starting with a letter or digit")
    if not cfg.enabled:
        return None
    problem = source_problem(entry.source)
    if problem:
        if problem == "no source" and name == "default":  # run.source is its shorthand: say so
            problem = "no source: set run.source (its shorthand) or streams.default.source"
        add(entry.source_key, problem, entry.source, SOURCE_EXPECTED)
    models = {"default": config.model, **dict(config.models)}
    model = models.get(cfg.model)
    if model is None:
        close = difflib.get_close_matches(cfg.model, list(models), n=1)
        add(f"{key}.model", f"no model named {cfg.model!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
            cfg.model, "default (`model`) or a key of `models`")
    active = config.active_backends()
    backend = cfg.backend or (active[0] if active else None)
    if cfg.backend is not None and cfg.backend not in active:
        add(f"{key}.backend", f"backend {cfg.backend!r} is not enabled", cfg.backend,
            f"one of backends.enabled minus disabled: {', '.join(active) or '(none)'}")
    rc = cfg.reconnect
    if 0 < rc.backoff_max_s < rc.backoff_s:  # each on its own: config/ranges.py
        add(f"{key}.reconnect.backoff_s", "longer than reconnect.backoff_max_s", rc.backoff_s,
            f"at most streams.{name}.reconnect.backoff_max_s ({rc.backoff_max_s})")
    from .motion import check_motion

    check_motion(cfg.motion, f"{key}.motion", add)
    if check_workflow:
        from .workflow import check_blocks

        check_blocks(cfg.workflow, f"{key}.workflow", add, registry)
    from .sinkset import resolve

    sinks = resolve(config, cfg, key, registry, add)
    from .events.checks import check_stream

    check_stream(config, cfg, key, add, registry)
    kind = source_kind(entry.source)
    preview = dict(cfg.sinks or {}).get("preview")
    return StreamSpec(
        name=name, key=key, source=str(entry.source).strip(), source_key=entry.source_key, source_kind=kind,
        live=kind in LIVE_KINDS, model_name=cfg.model, model_key=model_key(cfg.model),
        model=model, backend_name=backend, max_fps=cfg.max_fps, max_frames=config.run.max_frames,
        workflow=tuple(cfg.workflow), sinks=_frozen(sinks), preview=preview is not False,
        reconnect=rc, config=cfg)


def _frozen(mapping: dict) -> Mapping:
    from types import MappingProxyType

    return MappingProxyType(dict(mapping))


def _check_recording_folders(config: Any, specs: dict[str, StreamSpec], add: Callable) -> None:
    recorders: dict[str, str] = {}
    for name, spec in specs.items():
        if spec.sinks.get("recording"):
            folder = name.lower()
            if folder in recorders:
                add(f"streams.{name}.sinks.recording", f"streams {recorders[folder]} and {name} record into one "
                    f"folder ({config.services.recording.path}/{folder} on a case-insensitive file system)",
                    True, "stream names that differ in more than letter case")
            recorders.setdefault(folder, name)
