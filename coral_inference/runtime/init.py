"""runtime.init(config) -> RuntimeContext: platform -> plugins -> patches -> backends.

Plugins are loaded before the patches and the backends so that a patch plugin's patch and a
backend plugin's kind are in the run's registry (``context.registry``) when the patches are applied
and the backends are built. Every backend is attempted; if any fails, BackendError is raised with the
context attached (`error.context`) so the caller can still write a complete `failed` summary.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import BackendError, BoardError, ConfigError, CoralError, Interrupted
from ..plugins.registry import builtin_registry
from . import patches as patch_step
from . import plugins as plugin_step
from .config import RuntimeConfig
from .context import BackendState, RuntimeContext
from ..versions import collect_versions


def discover_devices(context: RuntimeContext) -> None:
    from ..backends.devices import describe, discover_with_source

    found, source = discover_with_source(context.config.platform.device_root)
    context.devices = [d.to_dict() for d in found]
    context.note("devices", f"{len(found)} Edge TPU(s) found via {source}: {describe(found)}")


def resolve_platform(context: RuntimeContext) -> None:
    from .platform import resolve

    context.platform = resolve(context.config, context.devices)
    context.note("platform", f"{context.platform['name']}: {context.platform['reason']}")


def init_backends(context: RuntimeContext) -> None:
    """Every enabled backend with ``model`` (backends/build.py; the stream manager builds the other
    (backend, model) pairs its streams run)."""
    from ..backends.build import construct, factory_of, served

    config = context.config
    for name in config.active_backends():
        try:
            spec = config.backend_spec(name)
        except KeyError:
            raise ConfigError(f"backends.enabled: no backend named {name!r}") from None
        state = BackendState(name=name, kind=spec.kind)
        factory_of(context, name, spec)  # an unknown kind: exit 2 before any backend is built
        started = time.perf_counter()
        backend = None
        try:
            backend = construct(context, name, spec, served(config), "model")
            state = backend.initialize()
            if hasattr(backend, "warm_up"):
                backend.warm_up(config.run.warmup)
            context.backend_objects[name] = backend
        except Interrupted:
            raise
        except CoralError as exc:
            state = getattr(backend, "state", state)
            if backend is not None and callable(getattr(backend, "close", None)):
                try:  # release the interpreters and delegates (devices) built before the failure
                    backend.close()
                except Exception as close_error:  # a plugin backend's close: noted, the first error stays
                    context.note("backends", f"{name}: close() after the failure raised "
                                             f"{type(close_error).__name__}: {close_error}", level="warning")
            context.errors.append(exc)
            state.status = "failed"
            state.error = {"type": type(exc).__name__, "message": exc.render()}
            state.reason = exc.message
        state.timings_ms.setdefault("total", round((time.perf_counter() - started) * 1000, 3))
        context.backends.append(state)
        context.note("backends", f"{name} [{state.kind}]: {state.status}" + (f" ({state.reason})" if state.reason else ""))


STEPS = (discover_devices, resolve_platform, plugin_step.load_plugins, patch_step.apply, init_backends)


def init(config: RuntimeConfig, *, run_dir: Any = None, steps: tuple = STEPS, registry: Any = None) -> RuntimeContext:
    """Run the init steps. ``run_dir`` (coral-run's run directory) is on the context before the first
    step, so plugins, patches and backends can write there. An error from any step carries the context
    (``error.context``): the caller disables what was enabled and still writes a complete summary.
    ``registry``: the registry this run's view is taken from (default: the built-ins); tests pass one
    with their own entries (``new_registry()`` plus ``add``)."""
    context = RuntimeContext(config=config, run_dir=run_dir, registry=(registry or builtin_registry()).child())
    context.versions = collect_versions()
    try:
        for step in steps:
            step(context)
    except BaseException as exc:
        hold(exc, context)
        raise
    failed = [b for b in context.backends if b.status == "failed"]
    if failed:
        # A configuration mistake found while building a backend keeps its own exit code (2).
        # One that coral-runtime doctor can explain (BoardError) ends with the pointer to it, once.
        kind = (ConfigError if all(isinstance(e, ConfigError) for e in context.errors)
                else BoardError if any(isinstance(e, BoardError) for e in context.errors) else BackendError)
        error = kind(
            "Backend initialization failed: " + "; ".join(f"{b.name}: {b.reason}" for b in failed)
        )
        error.context = context  # type: ignore[attr-defined]
        raise error
    return context


def hold(error: BaseException, context: RuntimeContext) -> None:
    """Attach ``context`` to an error raised while it was live (unless one is attached already)."""
    if getattr(error, "context", None) is None:
        try:
            error.context = context  # type: ignore[attr-defined]
        except AttributeError:  # a built-in exception type without a __dict__
            pass


def attach(error: Exception) -> Any:
    """The context attached to an init error, if any."""
    return getattr(error, "context", None)
