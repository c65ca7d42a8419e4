"""RuntimeConfig: the frozen, validated configuration; runtime code reads nothing else.

Its shape is derived from the schema (config/schema.py): every schema dataclass gets a frozen twin
with the same fields, lists become tuples and dicts read-only mappings. Nothing here repeats the
field list.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Any, Mapping

from ..config.schema import CoralConfig
from ..errors import ConfigError

_FROZEN: dict[type, type] = {}


def frozen_class(cls: type) -> type:
    """The frozen twin of a schema dataclass (same name, same fields)."""
    if cls not in _FROZEN:
        _FROZEN[cls] = dataclasses.make_dataclass(
            cls.__name__,
            [(f.name, Any) for f in dataclasses.fields(cls)],
            frozen=True,
            namespace={"__doc__": cls.__doc__, "__module__": __name__},
        )
    return _FROZEN[cls]


def freeze(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        twin = frozen_class(type(value))
        return twin(**{f.name: freeze(getattr(value, f.name)) for f in dataclasses.fields(value)})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable copy of a frozen value (mappings -> dict, tuples -> list)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclasses.dataclass(frozen=True)
class RuntimeConfig:
    """The validated configuration. ``settings`` holds the typed sections; the section names
    (model, run, platform, backends, patches, services, plugins, summary) read through."""

    settings: Any  # frozen CoralConfig
    data: Mapping[str, Any]  # the resolved plain dict (for the summary and hashing)
    choices: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # option chosen in each group
    sources: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # dotted key -> its sources

    def __getattr__(self, name: str) -> Any:
        settings = object.__getattribute__(self, "settings")
        try:
            return getattr(settings, name)
        except AttributeError:
            raise AttributeError(f"RuntimeConfig has no section {name!r}") from None

    def backend_spec(self, name: str) -> Any:
        backends = self.settings.backends
        if name in backends.extra:
            return backends.extra[name]
        if name in ("enabled", "disabled", "extra") or not hasattr(backends, name):
            raise KeyError(name)
        return getattr(backends, name)

    def active_backends(self) -> list[str]:
        disabled = set(self.settings.backends.disabled)
        return [n for n in self.settings.backends.enabled if n not in disabled]

    def to_dict(self) -> dict[str, Any]:
        import copy

        return copy.deepcopy(dict(self.data))

    @classmethod
    def from_dictconfig(cls, cfg: Any, choices: Mapping[str, Any] | None = None,
                        sources: Mapping[str, Any] | None = None) -> "RuntimeConfig":
        """Resolve and convert a composed DictConfig; unresolvable values are ConfigErrors."""
        from omegaconf import DictConfig, OmegaConf
        from omegaconf.errors import OmegaConfBaseException

        try:
            if not isinstance(cfg, DictConfig) or OmegaConf.get_type(cfg) is not CoralConfig:
                cfg = OmegaConf.merge(OmegaConf.structured(CoralConfig), cfg)
            cfg = cfg.copy()
            OmegaConf.set_struct(cfg, False)
            for key in [k for k in cfg.keys() if k == "hydra"]:
                cfg.pop(key)
            data = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True, enum_to_str=True)
            obj = OmegaConf.to_object(cfg)
        except OmegaConfBaseException as exc:
            key = getattr(exc, "full_key", None) or "?"
            message = str(exc).splitlines()[0]
            raise ConfigError(f"{key}: {message}", exit_code=None) from None
        return cls(
            settings=freeze(obj),
            data=MappingProxyType(data),
            choices=MappingProxyType(dict(choices or {})),
            sources=MappingProxyType(dict(sources or {})),
        )
