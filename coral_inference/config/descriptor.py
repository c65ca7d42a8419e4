"""RuntimeDescriptor: one layer of configuration (the schema's shape plus where it came from),
and ``merge``: the one loop that folds layers, in ``sources.PRECEDENCE`` order, into a plan that
Hydra composes on top of conf/. coral-run and coral-runtime both go through it.

A layer becomes Hydra input:
  * env / cli: override strings (``group=option``, ``key=value``), env before cli, so Hydra's own
    parser applies them in order and the later one wins;
  * file: a config node in Hydra's ConfigStore appended to the defaults list (``+coral_file=…``),
    so it beats conf/ (group options and config.yaml) and loses to every override; its group
    selections are ``override /group: option`` entries, which command-line selections beat;
  * plugin: plugins' default_config_overrides, a ConfigStore node right after the schema in
    conf/config.yaml's defaults (config/plugin_defaults.py; ``with_plugin_layer`` below).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import ConfigError, Issues
from . import sources as src
from .schema import GROUPS

FILE_GROUP = "coral_file"


@dataclass
class Entry:
    """One override string of an env or cli layer, with the key it sets and who set it."""

    override: str
    key: str
    source: str
    group: bool = False
    value: Any = None


@dataclass
class RuntimeDescriptor:
    layer: str  # one of sources.PRECEDENCE
    source: str  # "file deploy.yaml", "environment", "command line", "plugin demo"
    entries: list[Entry] = field(default_factory=list)  # env / cli
    values: dict[str, Any] = field(default_factory=dict)  # file: nested; plugin: dotted -> value
    selections: dict[str, str] = field(default_factory=dict)  # file: group -> option
    issues: Issues = field(default_factory=Issues)
    unknown: list[str] = field(default_factory=list)  # env: CORAL_ names that match nothing

    # --- constructors ------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "RuntimeDescriptor":
        """A YAML or JSON descriptor: group selections (``platform: usb_accelerator`` or a Hydra
        ``defaults:`` list) and values in the schema's shape, schema-checked."""
        import yaml

        label = f"file {path}"
        layer = cls("file", label)
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            layer.issues.add("-c", "file not found", value=str(path), source=label, expected="a YAML or JSON file")
            return layer
        except (OSError, yaml.YAMLError) as exc:
            layer.issues.add("-c", f"cannot read the file: {str(exc).splitlines()[0]} {_mark(exc)}".strip(),
                             value=str(path), source=label, expected="valid YAML or JSON")
            return layer
        if data is None:
            return layer
        if not isinstance(data, Mapping):
            layer.issues.add("-c", "the file does not hold a mapping", value=type(data).__name__, source=label,
                             expected="keys of the schema at the top level")
            return layer
        data = dict(data)
        for item in data.pop("defaults", None) or []:
            for group, option in (item.items() if isinstance(item, Mapping) else []):
                layer._select(str(group).replace("override", "").strip().strip("/"), option, label)
        for group in GROUPS:
            if isinstance(data.get(group), str):
                layer._select(group, data.pop(group), label)
        layer.values = src.check_tree(data, "", label, layer.issues) if data else {}
        return layer

    def _select(self, group: str, option: Any, label: str) -> None:
        if group not in GROUPS or not isinstance(option, str):
            self.issues.add(group or "defaults", "not a group selection", value=option, source=label,
                            expected=f"<group>: <option> with group one of {', '.join(GROUPS)}")
        else:
            self.selections[group] = option

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, strict: bool = False,
                 reserved: frozenset[str] = frozenset()) -> "RuntimeDescriptor":
        """CORAL_* variables by the rule in sources.py; unknown names warn (error when strict)."""
        environ = os.environ if environ is None else environ
        layer = cls("env", "environment")
        for name in sorted(environ):
            upper = name.upper()
            if not upper.startswith(src.PREFIX) or upper in src.RESERVED or upper in reserved:
                continue
            source = f"env {name}"
            key = upper[len(src.PREFIX):].lower().replace(src.SEP, ".")
            if key in GROUPS:
                layer.entries.append(Entry(f"{key}={environ[name].strip()}", key, source, group=True))
                continue
            try:
                tp = src.type_at(key)
            except src.UnknownKey as exc:
                exc.choices = [src.env_name(k) for k in src.leaf_keys()] + [src.env_name(g) for g in GROUPS]
                exc.key = upper
                src.add_unknown(layer.issues, exc, environ[name], source, "error" if strict else "warning",
                                expected="CORAL_ + a schema key with __ between levels, or a group name "
                                "(reserved: " + ", ".join(sorted(src.RESERVED)) + ")")
                layer.unknown.append(name)
                continue
            value = src.parse_env_value(environ[name])
            if not src._fits(tp, value):
                layer.issues.add(key, f"bad value in {name}", value=environ[name], source=source,
                                 expected=f"{src.expectation(tp)} (environment values read as: {src.ENV_RULE})")
                continue
            from ..summary import is_secret_key

            text = f"${{oc.env:{name}}}" if is_secret_key(key.rsplit(".", 1)[-1]) else value
            layer.entries.append(Entry(f"++{key}={src.render(text)}", key, source, value=value))
        return layer

    @classmethod
    def from_cli(cls, args: list[str], source: str = "command line") -> "RuntimeDescriptor":
        """Hydra override strings as typed on a command line (``group=option``, ``key=value``)."""
        from hydra.core.override_parser.overrides_parser import OverridesParser
        from hydra.errors import HydraException

        layer = cls("cli", source)
        parser = OverridesParser.create()
        for arg in args:
            try:
                parsed = parser.parse_override(arg)
            except HydraException as exc:
                layer.issues.add(arg.partition("=")[0], str(exc).splitlines()[0], value=arg, source=source,
                                 expected="group=option or key=value (Hydra override syntax)")
                continue
            key = parsed.get_key_element().lstrip("+~")
            value = None if parsed.is_delete() else (parsed.value() if not parsed.is_sweep_override() else None)
            layer.entries.append(Entry(arg, key.split("@")[0], source, group=key in GROUPS, value=value))
        return layer

    # --- into Hydra ----------------------------------------------------------------------------

    def overrides(self, index: int = 0) -> list[str]:
        if self.layer == "file":
            return [f"+{FILE_GROUP}=layer{index}"]
        return [e.override for e in self.entries]

    def store(self, index: int = 0) -> None:
        """Register a file layer in Hydra's ConfigStore (as ``coral_file/layer<index>``)."""
        if self.layer != "file":
            return
        from hydra.core.config_store import ConfigStore

        defaults = [{f"override /{g}": o} for g, o in self.selections.items()] + ["_self_"]
        ConfigStore.instance().store(group=FILE_GROUP, name=f"layer{index}", package="_global_",
                                     node={"defaults": defaults, **self.values})

    def to_runtime_config(self) -> Any:
        return merge(self).to_runtime_config()


def _mark(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f"(line {mark.line + 1}, column {mark.column + 1})" if mark else ""


def merge(*layers: RuntimeDescriptor) -> "Merged":
    """The one fold: layers sorted by precedence (stable), each contributing its Hydra input."""
    ordered = sorted(layers, key=lambda layer: src.PRECEDENCE.index(layer.layer))
    merged = Merged(layers=ordered)
    for index, layer in enumerate(ordered):
        merged.overrides += layer.overrides(index)
        merged.issues.items += layer.issues.items
        if layer.layer == "file":
            merged.file_labels[f"{FILE_GROUP}/layer{index}"] = layer.source
    return merged


@dataclass
class Merged:
    layers: list[RuntimeDescriptor]
    overrides: list[str] = field(default_factory=list)
    issues: Issues = field(default_factory=Issues)
    file_labels: dict[str, str] = field(default_factory=dict)  # ConfigStore path -> "file …"

    def compose(self, config_name: str = "config") -> Any:
        """Compose conf/ with these layers (Hydra's compose API); returns a finished Composition."""
        from hydra import compose, initialize_config_module
        from hydra.core.global_hydra import GlobalHydra

        from .. import CONF_MODULE, HYDRA_VERSION_BASE
        from .provenance import finish, record_defaults
        from .schema import register

        from .plugin_defaults import _STORED, prepare_plugin_defaults

        register()
        for index, layer in enumerate(self.layers):
            layer.store(index)
        problems: list[str] = []
        prepare_plugin_defaults(self.overrides)
        try:
            with initialize_config_module(CONF_MODULE, version_base=HYDRA_VERSION_BASE):
                loader = GlobalHydra.instance().config_loader()
                seen = record_defaults(loader)

                def again() -> Any:
                    return compose(config_name, overrides=self.overrides, return_hydra_config=True)

                cfg = with_plugin_layer(again(), again, problems, self.issues)
                if _STORED["layer"]:  # composed more than once: provenance computes its own list
                    seen.clear()
                choices = {g: cfg.hydra.runtime.choices.get(g) for g in GROUPS}
                return finish(cfg, choices, loader=loader, config_name=config_name, merged=self, seen=seen)
        except ConfigError:
            raise
        except Exception as exc:
            raise composition_error(exc, self) from None

    def to_runtime_config(self) -> Any:
        return self.compose().runtime_config()


def with_plugin_layer(cfg: Any, compose: Any, problems: list[str], issues: Issues) -> Any:
    """``cfg`` recomposed with the layer of the plugins it selects (plugin_defaults.py); a plugin's
    bad default_config_overrides are warnings, or a PluginError (exit 4) under plugins.strict."""
    from ..errors import PluginError, Problem
    from .plugin_defaults import apply_plugin_layer

    cfg = apply_plugin_layer(cfg, compose, problems)
    if problems and cfg.plugins.strict:
        raise PluginError("plugins.strict=true and a plugin's default_config_overrides are invalid",
                          problems=[Problem("default_config_overrides", p) for p in problems])
    for problem in problems:
        issues.add("default_config_overrides", problem, severity="warning")
    return cfg


def for_hydra_run(cfg: Any, hc: Any, env: RuntimeDescriptor | None = None) -> Any:
    """The Composition of a coral-run job: Hydra composed it; the first overrides are the env
    layer's (cli/run.py put them before the user's), the rest came from the command line."""
    from hydra import compose
    from hydra.core.global_hydra import GlobalHydra

    from .provenance import finish

    env = env if env is not None else RuntimeDescriptor.from_env()
    task = task_overrides(hc)
    merged = merge(env, RuntimeDescriptor.from_cli(task[len(env.entries):]))
    merged.overrides = task
    problems: list[str] = []
    cfg = with_plugin_layer(cfg, lambda: compose(config_name=hc.job.config_name, overrides=task), problems,
                            merged.issues)
    choices = {g: hc.runtime.choices.get(g) for g in GROUPS if g in hc.runtime.choices}
    return finish(cfg.copy(), choices, loader=GlobalHydra.instance().config_loader(),
                  config_name=hc.job.config_name or "config", merged=merged)


def task_overrides(hc: Any) -> list[str]:
    """The job's overrides as given, interpolations unresolved (an env secret stays ${oc.env:…})."""
    from omegaconf import OmegaConf

    task = hc.overrides.task
    return list(OmegaConf.to_container(task, resolve=False)) if OmegaConf.is_config(task) else list(task)


def composition_error(exc: Exception, merged: Merged) -> ConfigError:
    """Hydra's composition error as a ConfigError naming the layers behind the overrides."""
    issues = Issues(list(merged.issues.errors))
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    involved = [e for layer in merged.layers for e in layer.entries if e.key in message or e.override in message]
    where = ", ".join(f"{e.override} from {e.source}" for e in involved)
    issues.add("config", message, source=where or None, expected="a known group option, key and type")
    n = len(issues.errors)
    return ConfigError(f"Invalid configuration: {n} problem{'s' if n > 1 else ''}", problems=issues.errors)
