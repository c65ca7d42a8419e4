"""Which backend object serves a stream: ``streams.<name>.backend`` (default: the first running backend)
with ``streams.<name>.model`` ("default": `model`, which init already built on every backend; another
name: a key of `models`, built here once per (backend, model) pair by the backend's factory, handed that
model: ``factory(name, spec, context, model)``, plugins/contract.py)."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError


class StreamBackends:
    def __init__(self, context: Any):
        self.context = context
        self.extra: dict[tuple[str, str], Any] = {}

    def get(self, spec: Any) -> Any:
        """The backend object serving ``spec`` (its backend with its model)."""
        running = list(self.context.backend_objects)
        backend_name = spec.backend_name or running[0]
        if backend_name not in self.context.backend_objects:
            raise ConfigError(f"{spec.key_of('backend')}: backend {backend_name!r} is not running "
                              f"(expected one of {', '.join(running)})")
        if spec.model_name == "default":
            return self.context.backend_objects[backend_name]
        pair = (backend_name, spec.model_name)
        if pair not in self.extra:
            self.extra[pair] = self._build(backend_name, spec)
        return self.extra[pair]

    def _build(self, backend_name: str, stream: Any) -> Any:
        """The stream's model on its backend, built by the backend's factory (backends/build.py: handed the
        model; a contract-1 factory cannot be, and is refused naming the stream's model key)."""
        from ..backends.build import construct, served

        spec = self.context.config.backend_spec(backend_name)
        backend = construct(self.context, backend_name, spec, served(self.context.config, stream.model_name),
                            stream.key_of("model"))
        backend.initialize()
        self.context.on_close.append(backend.close)
        return backend

    def pools(self) -> dict[str, Any]:
        """Per backend (and model): each worker's requests, so the split across workers shows."""
        out = {}
        items = [(name, "default", b) for name, b in self.context.backend_objects.items()]
        items += [(b, m, obj) for (b, m), obj in self.extra.items()]
        for backend_name, model_name, backend in items:
            pool = getattr(backend, "pool", None)
            if pool is None:
                continue
            label = backend_name if model_name == "default" else f"{backend_name}/{model_name}"
            out[label] = [{"label": s["label"], "requests": s["requests"], "healthy": s["healthy"]}
                          for s in pool.health()]
        return out
