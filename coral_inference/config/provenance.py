"""Provenance: for every leaf of the composed config, the chain of sources that set it, lowest
first (the last one won). Built from Hydra's own defaults list (the files it merged, in its merge
order) plus the plugin, env and cli layers; also rejects keys the schema lacks (``+key=value``)."""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..errors import Issues
from . import sources as src
from .plugin_defaults import NODE_NAME as PLUGIN_NODE
from .schema import SCHEMA_NAME

ENV_REF = re.compile(r"\$\{oc\.env:\s*([A-Za-z_][A-Za-z0-9_]*)")
SCHEMA_LABEL = "schema default (coral_inference/config/schema.py)"


def leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every leaf; lists are leaves, empty mappings have none."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif prefix:
        yield prefix, value


def _label(default: Any, result: Any, merged: Any) -> tuple[str, str]:
    from .. import CONF_MODULE

    path, where = default.config_path, str(getattr(result, "path", ""))
    if path == SCHEMA_NAME:
        return "schema", SCHEMA_LABEL
    if path == PLUGIN_NODE:
        return "plugin", "plugin"
    if path in merged.file_labels:
        return "file", merged.file_labels[path]
    if where.startswith(f"pkg://{CONF_MODULE}"):
        return "defaults", f"conf/{path}.yaml"
    if where.startswith("file://"):
        file = Path(where[len("file://"):]) / f"{path}.yaml"
        try:
            file = file.relative_to(Path.cwd())
        except ValueError:
            pass
        return ("file" if default.primary else "defaults"), str(file)
    return "defaults", f"{where}/{path}.yaml"


def _selected_by(merged: Any) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for layer in merged.layers:
        for group in layer.selections:
            chosen[group] = layer.source
        for entry in layer.entries:
            if entry.group:
                chosen[entry.key] = entry.source
    return chosen


def _secret_literal(key: str, value: Any) -> bool:
    from ..summary import is_secret_key

    if not is_secret_key(key.rsplit(".", 1)[-1]) or value in (None, ""):
        return False
    return not (isinstance(value, str) and "${" in value)


def contributions(defaults: list[Any], repo: Any) -> list[tuple[Any, Any, dict[str, Any]]]:
    """(default, loaded config, its plain data) of each entry of a defaults list that is not
    Hydra's own, in merge order."""
    from omegaconf import OmegaConf

    out = []
    for default in defaults:
        if not default.config_path or default.config_path.startswith("hydra/") or default.package == "hydra":
            continue
        result = repo.load_config(default.config_path)
        if result is None:
            continue
        data = OmegaConf.to_container(result.config, resolve=False, enum_to_str=True)
        out.append((default, result, {k: v for k, v in data.items() if k not in ("defaults", "hydra")}))
    return out


# Hydra config loader -> contributions() of its latest composition (see record_defaults).
_RECORDED: "weakref.WeakKeyDictionary[Any, list[Any]]" = weakref.WeakKeyDictionary()


def record_defaults() -> None:
    """From now on keep, per Hydra config loader, what each config of its latest composition's
    defaults list contributed, read as Hydra loads it (from Hydra's own cache) and before the
    merge changes it; provenance then needs no second computation of the defaults list nor a
    second read of the files: coral-run's @hydra.main composes before the job runs, coral-runtime's
    compose() inside compose_layers. Idempotent. Private Hydra 1.3 API: without it (e.g. in a
    launcher's worker process), chains() computes the defaults list again."""
    from .hydra_internal import get, replace

    target = "hydra._internal.config_loader_impl:ConfigLoaderImpl._compose_config_from_defaults_list"
    original = get(target)
    if getattr(original, "records_defaults", False):
        return

    def recording(self: Any, defaults: Any, repo: Any) -> Any:
        _RECORDED.pop(self, None)
        try:
            _RECORDED[self] = contributions(defaults, repo)
        except Exception:  # Hydra's own loading reports it
            pass
        return original(self, defaults=defaults, repo=repo)

    recording.records_defaults = True  # type: ignore[attr-defined]
    replace(target, recording)


def chains(loader: Any, config_name: str, merged: Any) -> dict[str, list[dict[str, Any]]]:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from .hydra_internal import get

    out: dict[str, list[dict[str, Any]]] = {}

    def add(key: str, layer: str, source: str, value: Any = None) -> None:
        entry = {"layer": layer, "source": source}
        if layer in ("file", "cli") and _secret_literal(key, value):
            entry["literal_secret"] = True
        out.setdefault(key, []).append(entry)

    from .plugin_defaults import owners

    selected = _selected_by(merged)
    plugin_owner = owners()
    # Hydra's own defaults list (its merge order), without the hydra/* part: the loader's latest
    # composition's (record_defaults; with a plugin layer, the composition that used it), else the
    # same computation Hydra's ConfigLoader.compute_defaults_list does, minus what we do not need.
    loaded = _RECORDED.get(loader)
    if loaded is None:
        parsed = [o for o in OverridesParser.create().parse_overrides(list(merged.overrides))
                  if not o.get_key_element().lstrip("+~").startswith("hydra")]
        repo = get("hydra._internal.config_repository:CachingConfigRepository")(loader.repository)
        create_defaults_list = get("hydra._internal.defaults_list:create_defaults_list")
        defaults = create_defaults_list(repo=repo, config_name=config_name, overrides_list=parsed,
                                        prepend_hydra=False, skip_missing=True).defaults
        loaded = contributions(defaults, repo)
    for default, result, data in loaded:
        layer, label = _label(default, result, merged)
        group = default.override_key
        if group in selected:
            label += f" (selected by {selected[group]})"
        prefix = default.package or ""
        for key, value in leaves(data, prefix):
            if layer == "plugin":
                label = f"plugin {plugin_owner.get(key, '?')} (default_config_overrides)"
            add(key, layer, label, value)
    for layer in merged.layers:
        for entry in layer.entries:
            if entry.group or entry.override.startswith("~"):
                continue
            value = entry.value if entry.value is not None else None
            items = list(leaves(value, entry.key)) if isinstance(value, dict) else [(entry.key, value)]
            for key, val in items:
                add(key, layer.layer, entry.source, val)
    return out


def reject_unknown(cfg: Any, data: dict[str, Any], sources: dict[str, list[dict[str, Any]]], issues: Issues) -> Any:
    """Keys the schema lacks (Hydra takes ``+key=value`` silently): an error each; returns the
    config without them (so that the other checks still run and report too). ``data`` is the
    unresolved container of ``cfg``."""
    from omegaconf import OmegaConf

    unknown = list(_unknown(data, ""))
    for exc, value in unknown:
        key = exc.key
        chain = next((sources[k] for k in sources if k == key or k.startswith(key + ".")), None)
        source = chain[-1]["source"] if chain else None
        src.add_unknown(issues, exc, value, source)
        node = data
        *parents, last = key.split(".")
        for part in parents:
            node = node[part]
        del node[last]
    return OmegaConf.create(data) if unknown else cfg


def _unknown(data: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    import typing

    for k, v in data.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        try:
            tp = src._strip_optional(src.type_at(key))
        except src.UnknownKey as exc:
            yield exc, v
            continue
        if isinstance(v, dict) and tp is not Any and (typing.get_origin(tp) is dict or hasattr(tp, "__dataclass_fields__")):
            yield from _unknown(v, key)




@dataclass
class Composition:
    """A composed config with its sources and every problem found so far."""

    cfg: Any  # DictConfig without the hydra node
    choices: dict[str, Any]
    sources: dict[str, list[dict[str, Any]]]
    issues: Issues
    merged: Any
    config: Any = None  # the RuntimeConfig, once built (also when validation then fails)

    def runtime_config(self, validate: bool = True) -> Any:
        """The RuntimeConfig; every problem (layers, unknown keys, validation) raised at once."""
        from ..errors import ConfigError
        from .frozen import RuntimeConfig
        from .validate import validate as run_checks

        try:
            self.config = RuntimeConfig.from_dictconfig(self.cfg, choices=self.choices, sources=self.sources)
        except ConfigError as exc:
            if exc.problems:  # each bad entry of streams / models, with its key and source (frozen._type_entries)
                self.issues.items += exc.problems
            else:
                key, _, message = exc.message.partition(": ")
                chain = self.sources.get(key) or [{}]
                self.issues.add(key, message or exc.message, source=chain[-1].get("source"))
            self.issues.raise_if_errors()
        if validate:
            self.issues.items += run_checks(self.config).items
        self.issues.raise_if_errors()
        return self.config


def finish(cfg: Any, choices: dict[str, Any], *, loader: Any, config_name: str, merged: Any) -> Composition:
    from omegaconf import OmegaConf

    OmegaConf.set_struct(cfg, False)  # a fresh composition: ours to change
    if "hydra" in cfg:
        cfg.pop("hydra")
    sources = chains(loader, config_name, merged)
    data = OmegaConf.to_container(cfg, resolve=False)
    read = set(ENV_REF.findall(str(data)))
    issues = Issues([p for p in merged.issues.items if not (p.source or "").startswith("env ")
                     or p.source[4:].upper() not in {r.upper() for r in read}])
    cfg = reject_unknown(cfg, data, sources, issues)
    return Composition(cfg, dict(choices), sources, issues, merged)
