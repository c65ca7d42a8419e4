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
    # file: its `defaults:` list in order: "_self_" and the config files it names (each a layer of its own)
    defaults: list[Any] = field(default_factory=list)
    issues: Issues = field(default_factory=Issues)
    unknown: list[str] = field(default_factory=list)  # env: CORAL_ names that match nothing

    merge = _Merge()  # RuntimeDescriptor.merge(file, env, cli) -> Merged (below)

    # --- constructors ------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | os.PathLike, _seen: tuple = ()) -> "RuntimeDescriptor":
        """A YAML or JSON descriptor: group selections (``platform: usb_accelerator`` or a Hydra
        ``defaults:`` list) and values in the schema's shape, schema-checked. Its ``defaults:`` list composes
        as Hydra's does: ``<group>: <option>`` selects an option, ``_self_`` places the file's own values
        (last when absent), a name (``base``, ``common/cameras``) is a config file found on the search path
        (``_file_search_path``: the file's folder), composed in list order below what comes after it;
        ``optional <name>`` may be absent. An entry that is not found is a problem naming ``defaults[i]``, the
        file and where it looked (exit 2), never ignored."""
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
        layer._defaults(data.pop("defaults", None), path, label, _seen)
        for group in GROUPS:
            if isinstance(data.get(group), str):
                layer._select(group, data.pop(group), label)
        layer.values = src.check_tree(data, "", label, layer.issues) if data else {}
        return layer

    def _defaults(self, items: Any, path: Any, label: str, seen: tuple) -> None:
        from pathlib import Path

        if items is None:
            return
        if not isinstance(items, list):
            self.issues.add("defaults", "not a list", value=items, source=label,
                            expected="a list of <group>: <option>, _self_ and config file names")
            return
        here = Path(path).expanduser()
        for i, item in enumerate(items):
            key = f"defaults[{i}]"
            if isinstance(item, Mapping):
                for group, option in item.items():
                    name = str(group).replace("override", "").strip().strip("/")
                    if name not in GROUPS and not str(group).startswith("override") and isinstance(option, str):
                        self._include(key, f"{name}/{option}", here, label, seen, optional=False)
                        continue
                    self._select(name, option, label)
                continue
            if not isinstance(item, str) or not item.strip():
                self.issues.add(key, "not a defaults entry", value=item, source=label,
                                expected="<group>: <option>, _self_ or the name of a config file")
                continue
            text = item.strip()
            if text == "_self_":
                self.defaults.append("_self_")
                continue
            optional = text.startswith("optional ")
            self._include(key, text[len("optional "):].strip() if optional else text, here, label, seen, optional)

    def _include(self, key: str, name: str, here: Any, label: str, seen: tuple, optional: bool) -> None:
        """A config file named in ``defaults:``: composed as a layer of its own (its values below this file's
        unless it comes after ``_self_``)."""
        candidates = _file_search_path(here, name)
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            if not optional:
                self.issues.add(key, f"no config {name!r} on the search path", value=name, source=label,
                                expected="a config file at " + " or ".join(str(c) for c in candidates)
                                + f", or <group>: <option> with group one of {', '.join(GROUPS)}")
            return
        if found.resolve() in seen + (here.resolve(),):
            self.issues.add(key, f"{name!r} includes itself (through its defaults: lists)", value=name, source=label,
                            expected="a defaults list without a cycle")
            return
        included = RuntimeDescriptor.from_file(found, _seen=seen + (here.resolve(),))
        self.issues.items += included.issues.items
        for group, option in included.selections.items():  # this file's own selections win
            self.selections.setdefault(group, option)
        self.defaults.append(included)

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

        self._store(f"layer{index}", top=True)

    def _store(self, name: str, top: bool = False) -> None:
        from hydra.core.config_store import ConfigStore

        defaults: list[Any] = []
        for j, item in enumerate(self.defaults):
            if isinstance(item, RuntimeDescriptor):
                item._store(f"{name}_{j}")
                defaults.append(f"{name}_{j}")  # coral_file/<name>_<j>: a file its defaults: list named
            else:
                defaults.append(item)
        if "_self_" not in self.defaults:
            defaults.append("_self_")
        if top:  # Hydra wants overrides at the end of a defaults list
            defaults += [{f"override /{g}": o} for g, o in self.selections.items()]
        ConfigStore.instance().store(group=FILE_GROUP, name=name, package="_global_",
                                     node={"defaults": defaults, **self.values})

    def file_labels(self, name: str) -> dict[str, str]:
        """ConfigStore path -> "file …" of this file layer and every file its defaults: list composes."""
        out = {f"{FILE_GROUP}/{name}": self.source}
        for j, item in enumerate(self.defaults):
            if isinstance(item, RuntimeDescriptor):
                out.update(item.file_labels(f"{name}_{j}"))
        return out

    def to_runtime_config(self) -> Any:
        return merge(self).to_runtime_config()


def _file_search_path(here: Any, name: str) -> list[Any]:
    """Where a name in a descriptor's ``defaults:`` is looked for: beside the file (``name``, ``name.yaml``,
    ``name.yml``)."""
    base = here.parent / name
    return [base] if base.suffix in (".yaml", ".yml", ".json") else [base.with_name(base.name + ".yaml"),
                                                                     base.with_name(base.name + ".yml")]


def merge(*layers: RuntimeDescriptor) -> "Merged":
    """The one fold: layers sorted by precedence (stable), each contributing its Hydra input."""
    ordered = sorted(layers, key=lambda layer: src.PRECEDENCE.index(layer.layer))
    merged = Merged(layers=ordered)
    for index, layer in enumerate(ordered):
        merged.overrides += layer.overrides(index)
        merged.issues.items += layer.issues.items
        if layer.layer == "file":
            merged.file_labels.update(layer.file_labels(f"layer{index}"))
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
