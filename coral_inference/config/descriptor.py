"""RuntimeDescriptor: one layer of configuration (the schema's shape plus where it came from),
and ``merge``: the one loop that folds layers, in ``sources.PRECEDENCE`` order, into a plan that
Hydra composes on top of conf/ (config/compose.py). coral-run and coral-runtime both go through it.

A layer becomes Hydra input:
  * env / cli: override strings (``group=option``, ``key=value``), env before cli, so Hydra's own
    parser applies them in order and the later one wins;
  * file: a config node in Hydra's ConfigStore appended to the defaults list (``+coral_file=…``),
    so it beats conf/ (group options and config.yaml) and loses to every override; its group
    selections are ``override /group: option`` entries, which command-line selections beat;
  * plugin: plugins' default_config_overrides, a ConfigStore node right after the schema in
    conf/config.yaml's defaults (config/plugin_defaults.py; its second pass: compose.py).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import Issues
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


class _Merge:
    """``RuntimeDescriptor.merge(*layers)`` is ``merge`` itself (the design note's spelling); on a
    layer, ``layer.merge(*others)`` is ``merge(layer, *others)``. One fold either way."""

    def __get__(self, layer: Any, owner: Any = None) -> Any:
        return merge if layer is None else functools.partial(merge, layer)


@dataclass
class RuntimeDescriptor:
    layer: str  # one of sources.PRECEDENCE
    source: str  # "file deploy.yaml", "environment", "command line", "plugin demo"
    entries: list[Entry] = field(default_factory=list)  # env / cli
    values: dict[str, Any] = field(default_factory=dict)  # file: nested; plugin: dotted -> value
    selections: dict[str, str] = field(default_factory=dict)  # file: group -> option
    issues: Issues = field(default_factory=Issues)
    unknown: list[str] = field(default_factory=list)  # env: CORAL_ names that match nothing

    merge = _Merge()  # RuntimeDescriptor.merge(file, env, cli) -> Merged (below)

    # --- constructors ------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "RuntimeDescriptor":
        """A YAML or JSON descriptor: group selections (``platform: usb_accelerator`` or a Hydra
        ``defaults:`` list) and values in the schema's shape, schema-checked."""
        from ..files import FileProblem, load_yaml_checked

        label = f"file {path}"
        layer = cls("file", label)
        try:  # a regular file of bounded size, UTF-8, YAML with limits on depth, aliases and integers
            data = load_yaml_checked(path, "config file", "config", key="-c")
        except FileProblem as exc:
            message = "file not found" if exc.reason == "not found" else exc.reason
            layer.issues.add("-c", message, value=str(path), source=label, expected=exc.expected)
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
            if key in GROUPS and not src.is_utf8(environ[name]):
                layer.issues.add(key, f"{name} is not valid UTF-8 text", value=src.shown_bytes(environ[name]),
                                 source=source, expected="UTF-8 text: an option of the group")
                continue
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
            if not src.is_utf8(environ[name]):
                layer.issues.add(key, f"{name} is not valid UTF-8 text", value=src.shown_bytes(environ[name]),
                                 source=source, expected=f"UTF-8 text ({src.ENV_RULE})")
                continue
            value = (src.parse_env_text if src.is_text(tp) else src.parse_env_value)(environ[name])
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

    def compose(self, config_name: str = "config", config_dir: str | None = None) -> Any:
        """Compose conf/ with these layers (Hydra's compose API); returns a finished Composition."""
        from .compose import compose_layers

        return compose_layers(self, config_name, config_dir)

    def to_runtime_config(self) -> Any:
        return self.compose().runtime_config()
