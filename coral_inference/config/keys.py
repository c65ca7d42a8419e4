"""The dotted keys messages name, from one place: a model is ``model`` (the entry named "default") or
``models.<name>``; a backend is ``backends.<name>`` (auto, cpu, edgetpu_single, edgetpu_multi) or
``backends.extra.<name>`` (a plugin's or the user's own). Every message about a model or a backend builds
its key here, so it names the key the user wrote (and its source can be looked up under it).

``stream_models(config)``: which enabled stream uses which model on which backend, read from the config
alone (``run.source`` is the shorthand of ``streams.default.source``, as streams/spec.py resolves it), so
the model checks of every part cover each model a stream runs.
"""

from __future__ import annotations

from typing import Any, Iterator, NamedTuple

DEFAULT_MODEL = "default"  # streams.<name>.model naming `model`


def model_key(name: str) -> str:
    """``model`` for the entry named "default", else ``models.<name>``."""
    return "model" if name in (None, "", DEFAULT_MODEL) else f"models.{name}"


def backend_key(config: Any, name: str) -> str:
    """``backends.extra.<name>`` for a key of backends.extra, else ``backends.<name>``."""
    extra = getattr(getattr(config, "backends", None), "extra", None) or {}
    return f"backends.extra.{name}" if name in extra else f"backends.{name}"


class ModelUse(NamedTuple):
    """One model the run loads: its name, key prefix, settings, and who uses it."""

    name: str  # "default" or a key of `models`
    key: str  # "model" or "models.<name>"
    model: Any  # its ModelConfig
    streams: tuple  # enabled streams that run it
    backends: tuple  # backends that load it (a stream's backend; every active backend for `model`)


def _stream_entries(config: Any) -> dict[str, Any]:
    """name -> StreamConfig-like of the enabled streams (run.source fills streams.default)."""
    streams = dict(getattr(config, "streams", None) or {})
    out = {name: cfg for name, cfg in streams.items() if getattr(cfg, "enabled", True)}
    run = getattr(config, "run", None)
    if getattr(run, "source", None) not in (None, "") and "default" not in out and "default" not in streams:
        out["default"] = None  # a stream given by run.source alone: model "default", the first backend
    return out


def stream_models(config: Any) -> Iterator[ModelUse]:
    """``model`` (every active backend loads it) and each ``models.<name>`` an enabled stream names, with
    the streams and backends using it. A stream naming a model that does not exist is streams/spec.py's
    problem, not listed here."""
    active = list(config.active_backends()) if hasattr(config, "active_backends") else []
    models = dict(getattr(config, "models", None) or {})
    users: dict[str, list[tuple[str, str | None]]] = {}
    for stream, cfg in _stream_entries(config).items():
        name = getattr(cfg, "model", DEFAULT_MODEL) if cfg is not None else DEFAULT_MODEL
        backend = (getattr(cfg, "backend", None) if cfg is not None else None) or (active[0] if active else None)
        users.setdefault(name, []).append((stream, backend))
    default_streams = tuple(s for s, _ in users.get(DEFAULT_MODEL, ()))
    yield ModelUse(DEFAULT_MODEL, "model", config.model, default_streams, tuple(active))
    for name, model in models.items():
        if name == DEFAULT_MODEL or name not in users:
            continue
        used = users[name]
        backends = tuple(dict.fromkeys(b for _, b in used if b is not None))
        yield ModelUse(name, model_key(name), model, tuple(s for s, _ in used), backends)


def unused_models(config: Any) -> list[str]:
    """Names of `models` entries no enabled stream runs."""
    used = {u.name for u in stream_models(config)}
    return [name for name in dict(getattr(config, "models", None) or {}) if name not in used]
