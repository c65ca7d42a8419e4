"""RuntimeContext: the state of every init step, with reasons. The summary is built from it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..backends.state import BackendState
from ..plugins.registry import Registry, new_registry
from .patches import PatchState, disable_all

__all__ = ["BackendState", "PatchState", "RuntimeContext"]


@dataclass
class RuntimeContext:
    """Everything runtime.init() did; runtime code reads `config`, never the DictConfig."""

    config: Any  # RuntimeConfig
    # This run's view of the registry: built-ins plus what loaded plugins contributed.
    registry: Registry = field(default_factory=new_registry)
    platform: dict[str, Any] = field(default_factory=dict)  # name, detected_by, reason, spec
    devices: list[dict[str, Any]] = field(default_factory=list)  # Edge TPUs discovered
    patches_enabled: dict[str, bool] = field(default_factory=dict)
    patches: list[PatchState] = field(default_factory=list)
    backends: list[BackendState] = field(default_factory=list)
    backend_objects: dict[str, Any] = field(default_factory=dict)  # name -> live backend
    plugins_loaded: dict[str, bool] = field(default_factory=dict)
    plugins: list[dict[str, Any]] = field(default_factory=list)  # details per plugin
    plugin_specs: dict[str, Any] = field(default_factory=dict)  # name -> PluginSpec of each loaded plugin
    services: dict[str, Any] = field(default_factory=dict)  # live service objects, by name
    patch_objects: dict[str, Any] = field(default_factory=dict)  # enabled patches, in applied order
    run_dir: Any = None  # the run directory (Path) when run by coral-run
    versions: dict[str, str | None] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)  # expected errors met during init
    results: dict[str, Any] = field(default_factory=dict)  # what a run mode produced (bench, pipeline)
    # Parts running worse than asked while the run goes on (a stream's recording that failed, a stream that
    # failed or is degraded: streams/run.py verdict): the run is degraded. Key (e.g. streams.cam.recording,
    # streams.cam) -> the one reason.
    problems: dict[str, str] = field(default_factory=dict)
    # A streams run (pipeline, serve): one entry per (backend, model) pair that served a stream, with final
    # counts and the files it stands on (streams/manager.py served_entries); the summary's `backends`.
    served: list[dict[str, Any]] | None = None
    on_close: list[Any] = field(default_factory=list)  # callables run by close(), last first (plugins)
    started: float = field(default_factory=time.perf_counter)
    closed: bool = False

    def note(self, step: str, message: str, level: str = "info") -> None:
        self.log.append(
            {"t_ms": round((time.perf_counter() - self.started) * 1000, 3), "step": step, "level": level,
             "message": message}
        )

    def backend(self, name: str) -> Any:
        return self.backend_objects[name]

    @property
    def status(self) -> str:
        """ok, degraded (something other than asked for is in use) or failed."""
        states = [b.status for b in self.backends]
        if any(s == "failed" for s in states):
            return "failed"
        if any(s == "degraded" for s in states) or self.problems:
            return "degraded"
        return "ok"

    @property
    def status_reasons(self) -> list[str]:
        """Why the status is not ok: each failed or degraded backend's reason, then what the run mode added."""
        out = [f"backend {b.name}: {b.reason}" for b in self.backends if b.status in ("failed", "degraded")]
        return out + [f"{key}: {reason}" for key, reason in self.problems.items()]

    def close(self) -> None:
        """Release what init and the run mode hold: services, then patches (disabled, last applied
        first), backends, then plugins (deactivated, last loaded first). Callers close BEFORE writing
        the summary, so what disable()/deactivate() note is in it. A failing part is noted, the rest
        still runs; a second call does nothing."""
        if self.closed:
            return
        self.closed = True
        for name, service in list(self.services.items()):
            self._release("services", name, getattr(service, "close", None))
        disable_all(self)
        for backend in self.backend_objects.values():  # the summary's counts are the final ones, not init's
            pool, state = getattr(backend, "pool", None), getattr(backend, "state", None)
            if pool is not None and state is not None and hasattr(pool, "health"):
                state.pool = pool.health()
        for name, backend in list(self.backend_objects.items()):
            self._release("backends", name, getattr(backend, "close", None))
        self.backend_objects.clear()
        while self.on_close:
            self._release("plugins", "on_close", self.on_close.pop())

    def _release(self, step: str, name: str, close: Any) -> None:
        if not callable(close):
            return
        try:
            close()
        except Exception as exc:  # noted in the summary; the other parts are still released
            self.note(step, f"{name}: close raised {type(exc).__name__}: {exc}", level="warning")
