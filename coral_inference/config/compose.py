"""Composition through Hydra for both CLIs: coral-runtime composes merged layers with the compose
API (``compose_layers``); coral-run's job gets its Composition from what @hydra.main composed
(``for_hydra_run``). The plugin layer's second pass and Hydra's errors are handled here once."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError, CoralError, Issues
from . import sources as src
from .descriptor import Merged, RuntimeDescriptor, merge
from .schema import GROUPS


def compose_layers(merged: Merged, config_name: str = "config", config_dir: str | None = None,
                   rounds: int = 8) -> Any:
    """conf/ composed with ``merged``'s layers, finished (provenance, unknown keys). ``config_dir``:
    a folder before conf/ on the search path, as coral-run's --config-dir (config/primary.py). A
    composition error reports every problem (``every_problem``: up to ``rounds`` more compositions)."""
    from hydra import compose
    from hydra.core.global_hydra import GlobalHydra

    from .plugin_defaults import prepare_plugin_defaults
    from .primary import hydra_context
    from .provenance import finish, record_defaults
    from .schema import register

    register()
    record_defaults()
    for index, layer in enumerate(merged.layers):
        layer.store(index)
    problems: list[str] = []
    prepare_plugin_defaults(merged.overrides)
    try:
        with hydra_context(config_dir):
            loader = GlobalHydra.instance().config_loader()

            def again() -> Any:
                return compose(config_name, overrides=merged.overrides, return_hydra_config=True)

            cfg = with_plugin_layer(again(), again, problems, merged.issues)
            choices = {g: cfg.hydra.runtime.choices.get(g) for g in GROUPS}
            return finish(cfg, choices, loader=loader, config_name=config_name, merged=merged)
    except CoralError:  # ours already (a PluginError keeps its exit code)
        raise
    except Exception as exc:
        raise every_problem(exc, merged, config_name, config_dir, rounds) from None


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


def for_hydra_run(cfg: Any, hc: Any, env: RuntimeDescriptor | None = None,
                  file: RuntimeDescriptor | None = None) -> Any:
    """The Composition of a coral-run job: Hydra composed it; the first overrides are the file
    layer's (a descriptor given as --config-name, config/primary.py) and the env layer's (cli/run.py
    put them before the user's), the rest came from the command line."""
    from hydra import compose
    from hydra.core.global_hydra import GlobalHydra

    from .provenance import finish

    env = env if env is not None else RuntimeDescriptor.from_env()
    task = task_overrides(hc)
    first = (len(file.overrides()) if file is not None else 0) + len(env.entries)
    merged = merge(*([file] if file is not None else []), env, RuntimeDescriptor.from_cli(task[first:]))
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
    """Hydra's composition error as a ConfigError naming the key and the layer behind it."""
    import itertools
    import re

    issues = Issues(list(merged.issues.errors))
    text = str(exc).strip()
    lines = text.splitlines() or [type(exc).__name__]
    # the unindented lines before the details (full_key, reference_type, Available options, …)
    message = ": ".join(ln.rstrip(":") for ln in itertools.takewhile(lambda ln: ln and not ln[0].isspace()
                                                                      and not ln.startswith("Available"), lines))
    message = message or lines[0]
    cause = str(exc.__cause__ or "").strip().splitlines()
    if cause and cause[0] not in message:
        message += f": {cause[0]}"
    entries = [e for layer in merged.layers for e in layer.entries]
    # the override quoted in the message, else any whose key it names (``backends`` is in ``backends.cpu.x``)
    involved = [e for e in entries if e.override in message] or [e for e in entries if e.key in message]
    where = ", ".join(f"{e.override} from {e.source}" for e in involved)
    in_config = re.match(r"In '([^']+)'", text)  # Hydra names the config (file) it was composing
    if not involved and in_config and in_config.group(1) != "config":
        where = merged.file_labels.get(in_config.group(1)) or (
            f"config {in_config.group(1)!r} (--config-dir / --config-name or a group option)")
    start = next((i + 1 for i, ln in enumerate(lines) if ln.startswith("Available options")), len(lines))
    options = [ln.strip() for ln in itertools.takewhile(lambda ln: ln.startswith("\t"), lines[start:])]
    full_key = re.search(r"full_key: (\S+)", text)  # an error inside a config file names the key
    expected = (f"one of {', '.join(options)}" if options else "a known group option, key and type"
                if involved or full_key else None)  # else Hydra's sentence (--config-dir not found …) says it
    key = involved[0].key if involved else (full_key.group(1) if full_key else "config")
    if full_key and in_config and involved and involved[0].group:  # a bad value inside a selected option's file
        key = full_key.group(1)
        where = f"{config_file(in_config.group(1))} (selected by {where})"
        try:
            expected = src.expectation(src.type_at(key))
        except src.UnknownKey:
            expected = "a key of the schema"
    try:
        if (involved and not options and not involved[0].group) or (not involved and full_key):
            expected = src.expectation(src.type_at(key))
    except src.UnknownKey as unknown:
        src.add_unknown(issues, unknown, involved[0].value if involved else None, where or None)
    else:
        if involved or not issues.errors:  # else a layer's own problem (bad override syntax) says it already
            issues.add(key, message, source=where or None, expected=expected)
    n = len(issues.errors)
    error = ConfigError(f"Invalid configuration: {n} problem{'s' if n > 1 else ''}", problems=issues.errors)
    error.involved = involved  # type: ignore[attr-defined]  (every_problem composes again without them)
    return error


def config_file(name: str) -> str:
    """Where the config ``name`` (``platform/mine``) was read: a --config-dir / -cd folder of the
    command line, else the shipped conf/; the name as Hydra gave it when none holds it."""
    import sys
    from pathlib import Path

    args = sys.argv[1:]
    folders = [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--config-dir", "-cd", "--config-path", "-cp")]
    folders += [a.split("=", 1)[1] for a in args if a.startswith(("--config-dir=", "--config-path="))]
    for folder in folders:
        for suffix in (".yaml", ".yml"):
            path = Path(folder) / f"{name}{suffix}"
            if path.is_file():
                return str(path)
    from .. import CONF_MODULE

    return f"config {name!r} (conf/{name}.yaml in {CONF_MODULE}, or a folder on the search path)"


def every_problem(exc: Exception, merged: Merged, config_name: str = "config", config_dir: str | None = None,
                  rounds: int = 8) -> ConfigError:
    """Hydra stops at the first bad override; a type error must not hide the other problems: compose
    again without the overrides it blamed and add what that finds (composition or validation)."""
    import dataclasses

    error = composition_error(exc, merged)
    dropped = getattr(error, "involved", [])
    if not dropped or rounds <= 0:
        return error
    layers = [dataclasses.replace(layer, entries=[e for e in layer.entries if e not in dropped], issues=Issues())
              for layer in merged.layers]
    rest = merge(*layers)
    rest.file_labels = merged.file_labels
    try:
        compose_layers(rest, config_name, config_dir, rounds - 1).runtime_config()
    except ConfigError as more:
        seen = {p.render() for p in error.problems}
        problems = error.problems + [p for p in more.problems if p.render() not in seen]
        n = len(problems)
        return ConfigError(f"Invalid configuration: {n} problem{'s' if n > 1 else ''}", problems=problems)
    except Exception:  # anything else is the first error's to report
        pass
    return error
