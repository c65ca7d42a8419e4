"""Building one backend object for one (backend, model) pair: the registry's factory of the backend's
kind, called as its plugin contract says (plugins/contract.py ``backend_takes_model``): contract 2 is
handed the model, ``factory(name, spec, context, model)``; contract 1, ``factory(name, spec, context)``,
reads ``context.config.model`` itself, so it can serve ``model`` and nothing else."""

from __future__ import annotations

from typing import Any

from ..config.keys import backend_key, model_key
from ..errors import ConfigError
from ..plugins.contract import ServedModel, backend_takes_model


def served(config: Any, name: str = "default") -> ServedModel:
    """The ServedModel of ``model`` ("default") or of ``models.<name>``."""
    key = model_key(name)
    return ServedModel("default", key, config.model) if key == "model" else ServedModel(name, key, config.models[name])


def factory_of(context: Any, name: str, spec: Any) -> Any:
    """The registry's factory of backends.<name>'s kind; ConfigError naming the kinds that exist."""
    factory = context.registry.get("backend", spec.kind)
    if factory is None:
        raise ConfigError(
            f"{backend_key(context.config, name)}.kind: unknown backend kind {spec.kind!r}; expected one of "
            f"{', '.join(context.registry.names('backend'))} (or install the plugin that provides it)")
    return factory


def construct(context: Any, name: str, spec: Any, model: ServedModel, key: str) -> Any:
    """``factory(name, spec, context, model)``; a contract-1 factory for ``model`` only, else a
    ConfigError at ``key`` (the setting that asked for this pair) saying how to update the plugin."""
    factory = factory_of(context, name, spec)
    if backend_takes_model(factory) is False:
        if model.name != "default":
            source = context.registry.source("backend", spec.kind)
            raise ConfigError(
                f"{key}: backend {name!r} (kind {spec.kind!r}, from {source}) follows plugin contract 1, "
                f"factory(name, spec, context), which runs only `model` and cannot be handed {model.key}; "
                f"run {model.key} on another backend, or update the plugin to contract 2: "
                "factory(name, spec, context, model) (PLUGIN_PUBLISHING.md, 'The contract's version')")
        return factory(name, spec, context)
    return factory(name, spec, context, model)
