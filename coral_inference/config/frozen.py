"""RuntimeConfig: the frozen, validated configuration; runtime code reads nothing else.

Its shape is derived from the schema (config/schema.py): every schema dataclass gets a frozen twin
with the same fields, lists become tuples and dicts read-only mappings. Nothing here repeats the
field list.
"""

from __future__ import annotations

import dataclasses
import typing
from enum import Enum
from types import MappingProxyType
from typing import Any, Mapping

from .schema import CoralConfig
from ..errors import ConfigError


class Frozen:
    """Base of the frozen twins: every field set once by keyword, read-only after (assigning
    raises dataclasses.FrozenInstanceError, as on a frozen dataclass); equal when of the same
    class with equal fields. (Not ``dataclasses.make_dataclass``: ~0.5 ms per class, for the
    sixteen twins of every run's start-up.)"""

    _fields: tuple[str, ...] = ()

    def __init__(self, **values: Any) -> None:
        if set(values) != set(self._fields):
            wrong = sorted(set(values) ^ set(self._fields))
            raise TypeError(f"{type(self).__name__}: missing or unexpected fields {', '.join(wrong)}")
        for name in self._fields:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: Any) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, f) for f in self._fields))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self._fields)})"


_FROZEN: dict[type, type] = {}


def frozen_class(cls: type) -> type:
    """The frozen twin of a schema dataclass (same name, same fields)."""
    if cls not in _FROZEN:
        _FROZEN[cls] = type(cls.__name__, (Frozen,), {
            "_fields": tuple(f.name for f in dataclasses.fields(cls)),
            "__doc__": cls.__doc__, "__module__": __name__, "__qualname__": cls.__name__,
        })
    return _FROZEN[cls]


def freeze(value: Any) -> Any:
    """A plain value, frozen (lists -> tuples, dicts -> read-only mappings)."""
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    return value


def frozen_from_data(tp: Any, value: Any) -> Any:
    """The frozen value of schema type ``tp`` built from its resolved plain container (as
    ``OmegaConf.to_container(..., enum_to_str=True)`` gives it): dataclasses become their twins,
    enum names their members, by the schema's field types."""
    from .sources import _strip_optional, hints

    tp = _strip_optional(tp)
    if value is None:
        return None
    if dataclasses.is_dataclass(tp):
        return frozen_class(tp)(**{name: frozen_from_data(hint, value[name]) for name, hint in hints(tp).items()})
    origin = typing.get_origin(tp)
    if origin is list:
        return tuple(frozen_from_data(typing.get_args(tp)[0], v) for v in value)
    if origin is dict:
        item = typing.get_args(tp)[1]
        return MappingProxyType({k: frozen_from_data(item, v) for k, v in value.items()})
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp[value] if isinstance(value, str) else tp(value)
    return freeze(value)


def thaw(value: Any) -> Any:
    """A plain, mutable copy of a frozen value (mappings -> dict, tuples -> list)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def _type_entries(cfg: Any, sources: Mapping[str, Any]) -> None:
    """Type the entries of `streams` and `models` (composed untyped: config/schema.py OPEN_MAPS), in
    place; every bad entry key or value at once, as one ConfigError."""
    from types import SimpleNamespace

    from ..errors import Issues
    from .schema import typed_entries

    issues = Issues(config=SimpleNamespace(sources=sources))
    for key, message, value, expected in typed_entries(cfg):
        issues.add(key, message, value=value, expected=expected)
    issues.raise_if_errors()


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
    def from_data(cls, data: dict[str, Any], choices: Mapping[str, Any] | None = None,
                  sources: Mapping[str, Any] | None = None) -> "RuntimeConfig":
        """From ``to_dict()``'s plain data of a checked RuntimeConfig (coral-run's runner process gets it)."""
        return cls(settings=frozen_from_data(CoralConfig, data), data=MappingProxyType(data),
                   choices=MappingProxyType(dict(choices or {})), sources=MappingProxyType(dict(sources or {})))

    @classmethod
    def from_dictconfig(cls, cfg: Any, choices: Mapping[str, Any] | None = None,
                        sources: Mapping[str, Any] | None = None) -> "RuntimeConfig":
        """Resolve and convert a composed DictConfig; unresolvable values are ConfigErrors."""
        from omegaconf import DictConfig, OmegaConf
        from omegaconf.errors import OmegaConfBaseException

        try:
            if not isinstance(cfg, DictConfig) or OmegaConf.get_type(cfg) is not CoralConfig:
                cfg = OmegaConf.merge(OmegaConf.structured(CoralConfig), cfg)
            if "hydra" in cfg:  # composed with return_hydra_config: leave Hydra's node out
                cfg = cfg.copy()
                OmegaConf.set_struct(cfg, False)
                cfg.pop("hydra")
            _type_entries(cfg, sources or {})
            data = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True, enum_to_str=True)
            settings = frozen_from_data(CoralConfig, data)
        except OmegaConfBaseException as exc:
            key = getattr(exc, "full_key", None) or "?"
            message = str(exc).splitlines()[0]
            raise ConfigError(f"{key}: {message}", exit_code=None) from None
        return cls(
            settings=settings,
            data=MappingProxyType(data),
            choices=MappingProxyType(dict(choices or {})),
            sources=MappingProxyType(dict(sources or {})),
        )
