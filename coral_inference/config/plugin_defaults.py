"""The plugin layer: plugins' ``default_config_overrides``, below every config file.

Precedence, lowest first: schema defaults < plugin defaults < conf/ files (and a user's own) <
environment < command line. The layer is a ConfigStore node (``coral_plugin_defaults``) listed in
conf/config.yaml's defaults right after the schema, so Hydra's own merge puts it under every file;
a plugin fills a value only where nothing else sets it. The node is empty unless filled here.

Which plugins count depends on the config itself (plugins.mode / allowlist, run.interpreter), so
a caller composes once, asks ``plugin_default_overrides`` for the layer, and, when it differs from
the stored one, stores it and composes again (``apply_plugin_layer``). The layer used stays stored,
so provenance (config/provenance.py) reads, per key, which plugin set it. A plugin may set only its
own keys (plugins/declaration.py ``own_prefixes``: ``plugins.config.<name>.*``, ``patches.<name>``,
``backends.extra.<its name or backend kind>.*``); any other key is left out with a problem (a
warning; an error under plugins.strict, config/compose.py).
"""

from __future__ import annotations

from typing import Any, Callable

from ..interpreter import interpreter_in_use
from ..plugins.declaration import foreign_keys, own_prefixes
from ..plugins.discovery import discover_all

NODE_NAME = "coral_plugin_defaults"
MAX_DEFAULTS = 512  # keys one plugin's default_config_overrides may set
MAX_DEPTH = 8  # nesting of one default's value (lists in lists, mappings in mappings)

Layer = list  # [(dotted_key, value, plugin_name)]


def _nested(key: str, value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def _key_problem(key: str, value: Any, schema: Any) -> str | None:
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
        return f"{key!r} is not a dotted key"
    parts, node = key.split("."), schema
    try:
        while len(parts) > 1 and parts[0] in node and OmegaConf.is_dict(node[parts[0]]):
            node = node[parts.pop(0)]  # check against the smallest node holding the key: cheap
        OmegaConf.merge(node, _nested(".".join(parts), value))
    except OmegaConfBaseException as exc:
        return f"{key}={value!r}: {str(exc).splitlines()[0]}"
    return None


def plugin_default_overrides(plugins_config: Any = None, interpreter: str | None = "auto",
                             problems: list[str] | None = None) -> Layer:
    """[(dotted_key, value, plugin_name)] of every plugin that would load here (selected by
    ``plugins_config`` — the plugins section — and compatible), in load order. A bad key, or a key
    an earlier plugin already set, is left out and described in ``problems``."""
    layer: Layer = []
    owner: dict[str, str] = {}
    schema: list[Any] = []  # the structured schema, built once and only when a plugin has defaults
    info = (lambda: interpreter_in_use(interpreter)) if interpreter is not None else None
    for record in discover_all(plugins_config, interpreter=interpreter, interpreter_info=info):
        spec = record.get("spec")
        if spec is None or record["status"] != "ok":
            continue
        foreign = foreign_keys(spec, record.get("type"))
        defaults = spec.default_config_overrides or {}
        try:
            defaults = dict(defaults)
        except (TypeError, ValueError):
            defaults = {}
        if len(defaults) > MAX_DEFAULTS:  # checked before any is read: the layer's cost grows with them
            if problems is not None:
                problems.append(f"plugin {spec.name}: default_config_overrides: {len(defaults)} keys "
                                f"(at most {MAX_DEFAULTS}); none used")
            continue
        for key, value in defaults.items():
            if _depth(value) > MAX_DEPTH:
                if problems is not None:
                    problems.append(f"plugin {spec.name}: default_config_overrides: {key!r} is nested more than "
                                    f"{MAX_DEPTH} levels deep; left out")
                continue
            if key in foreign:
                own = " or ".join(f"{p}.*" for p in own_prefixes(spec, record.get("type")))
                problem = f"{key!r} is not the plugin's own key (expected {own})"
            else:
                if not schema:
                    from omegaconf import OmegaConf

                    from .schema import CoralConfig

                    schema.append(OmegaConf.structured(CoralConfig))
                problem = _key_problem(key, value, schema[0])
                if problem is None and key in owner:
                    problem = f"{key!r} is already set by plugin {owner[key]}"
            if problem:
                if problems is not None:
                    problems.append(f"plugin {spec.name}: default_config_overrides: {problem}")
                continue
            owner[key] = spec.name
            layer.append((key, value, spec.name))
    return layer


def _depth(value: Any) -> int:
    """Nesting of lists and mappings, iteratively (a 10,000-deep value costs no recursion)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend((v, d + 1) for v in item)
    return deepest


def _put(tree: dict[str, Any], parts: list[str], value: Any) -> None:
    """Set a dotted key in a plain tree the way merging would (mappings merge, anything else replaces)."""
    node = tree
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    last = parts[-1]
    if isinstance(value, dict) and isinstance(node.get(last), dict):
        for k, v in value.items():
            _put(node[last], [k], v)
    else:
        node[last] = value


_STORED: dict[str, Layer] = {"layer": []}


def store_plugin_defaults(layer: Layer) -> None:
    """Put the layer into Hydra's ConfigStore as the ``coral_plugin_defaults`` node."""
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    tree: dict[str, Any] = {}  # one plain tree, then one node: merging key by key cost the square of their number
    for key, value, _name in layer:
        _put(tree, key.split("."), value)
    node = OmegaConf.create(tree)
    ConfigStore.instance().store(name=NODE_NAME, node=node)
    _STORED["layer"] = list(layer)


def prepare_plugin_defaults(args: list[str], problems: list[str] | None = None) -> Layer:
    """Before the first composition: store the layer of every compatible plugin, so that a plain
    ``key=value`` on the command line can override a key only a plugin introduces. With
    ``plugins=none`` / ``plugins.mode=none`` among ``args`` no plugin is imported at all."""
    none = any(a in ("plugins=none", "plugins.mode=none") for a in args)
    layer = [] if none else plugin_default_overrides(None, "auto", problems)
    store_plugin_defaults(layer)
    return layer


def owners() -> dict[str, str]:
    """dotted key -> plugin name, for the stored layer."""
    return {key: name for key, _value, name in _STORED["layer"]}


def apply_plugin_layer(cfg: Any, compose: Callable[[], Any], problems: list[str] | None = None) -> Any:
    """The config composed with the layer of the plugins it selects: ``compose`` (same config
    name and overrides) runs again only when that layer differs from the stored one."""
    from ..errors import ConfigError

    plugins = cfg.get("plugins")
    interpreter = (cfg.get("run") or {}).get("interpreter", "auto")
    layer = plugin_default_overrides(plugins, interpreter, problems)
    if layer == _STORED["layer"]:
        return cfg
    store_plugin_defaults(layer)
    try:
        return compose()
    except Exception as exc:
        raise ConfigError(
            "the config composed with the plugins' default_config_overrides no longer composes with "
            f"the plugins this config selects ({str(exc).splitlines()[0]}); a key set on the command "
            "line may exist only in a plugin that is not loaded: drop it, or write ++key=value"
        ) from None
