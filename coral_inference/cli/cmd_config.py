"""coral-runtime config validate | show | explain | init.

Every command composes the shipped conf/ exactly as coral-run does, with the same layers
(config/descriptor.py): plugin defaults < conf/ < file (--config-dir/--config-name, -c FILE) < CORAL_*
environment < overrides and --set. ``--json`` prints one JSON document on stdout; problems go to stderr
as text otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable

from ..errors import EXIT_OK, ConfigError, CoralError, Issues


def add_config_dir_args(parser: argparse.ArgumentParser) -> None:
    """coral-run's (Hydra's) two options, read the same way (config/primary.py)."""
    parser.add_argument("-cd", "--config-dir", dest="config_dir", metavar="DIR",
                        help="a folder of configs before the shipped conf/ (as coral-run --config-dir)")
    parser.add_argument("-cn", "--config-name", dest="config_name", metavar="NAME",
                        help="NAME.yaml in --config-dir: a descriptor (the file layer) or a Hydra primary config "
                             "building on the shipped 'config' (as coral-run --config-name)")


def add_layer_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config-file", dest="file", metavar="FILE",
                        help="a descriptor (YAML or JSON) above conf/ and below env and overrides")
    add_config_dir_args(parser)
    parser.add_argument("--set", action="append", default=[], metavar="K=V",
                        help="a key=value (or group=option) override; repeatable; same as a positional override")
    parser.add_argument("--no-env", action="store_true", help="ignore CORAL_* environment variables")
    parser.add_argument("--strict", action="store_true", help="unknown CORAL_* names are errors, not warnings")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument("overrides", nargs="*", metavar="OVERRIDE", help="group=option or key=value (Hydra syntax)")


def compose_args(args: argparse.Namespace) -> Any:
    """The Composition for these arguments (config/provenance.py)."""
    from ..config.descriptor import RuntimeDescriptor as Descriptor
    from ..config.descriptor import merge
    from ..config.primary import resolve

    primary = resolve(args.config_dir, args.config_name)
    layers = [primary.layer] if primary.layer is not None else []
    if args.file:
        layers.append(Descriptor.from_file(args.file))
    if not args.no_env:
        layers.append(Descriptor.from_env(strict=args.strict))
    layers.append(Descriptor.from_cli(list(args.overrides) + list(args.set)))
    return merge(*layers).compose(primary.config_name, primary.config_dir)


def run_command(args: argparse.Namespace, body: Callable[[], tuple[int, Any, str]]) -> int:
    """Run ``body`` -> (exit code, JSON document, text); CoralErrors become their exit code."""
    try:
        code, document, text = body()
    except CoralError as exc:
        code, document, text = exc.exit_code, {"ok": False, "error": exc.to_dict()}, ""
        print(f"coral-runtime: error: {exc.render()}", file=sys.stderr)
    if args.json:
        print(json.dumps(document, indent=2, default=str))
    elif text:
        print(text)
    return code


def warn(issues: Issues, args: argparse.Namespace) -> list[dict[str, Any]]:
    if not args.json:
        for problem in issues.warnings:
            print(f"coral-runtime: warning: {problem.render()}", file=sys.stderr)
    return [p.to_dict() for p in issues.warnings]


def _validate(args: argparse.Namespace) -> int:
    def body() -> tuple[int, Any, str]:
        comp = compose_args(args)
        try:
            config = comp.runtime_config()
        except ConfigError:
            warn(comp.issues, args)
            raise
        warnings = warn(comp.issues, args)
        backends = list(config.active_backends())
        from ..tasks.checks import tasks_for

        tasks = {f"{prefix}.task": found for prefix, found in tasks_for(config).items() if "error" not in found}
        doc = {"ok": True, "choices": comp.choices, "backends": backends, "tasks": tasks, "warnings": warnings,
               "problems": []}
        text = (f"configuration ok: platform {config.platform.name}, backends {', '.join(backends)}"
                + (f" ({len(warnings)} warning(s))" if warnings else ""))
        text += "".join(f"\n  {key}: {t['task']} ({t['reason']})" for key, t in tasks.items())
        return EXIT_OK, doc, text

    return run_command(args, body)


def _config_data(comp: Any, resolve: bool) -> dict[str, Any]:
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from ..summary import redact

    try:
        data = OmegaConf.to_container(comp.cfg, resolve=resolve, enum_to_str=True)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or "?"
        chain = comp.sources.get(key) or [{}]
        issues = Issues()
        issues.add(key, f"cannot resolve: {str(exc).splitlines()[0]}", source=chain[-1].get("source"),
                   expected="an interpolation that resolves (a set environment variable, an existing key)")
        issues.raise_if_errors()
    secret_keys = tuple((data.get("summary") or {}).get("secret_keys") or ()) or None
    return redact(data, secret_keys) if secret_keys else redact(data)


def _show(args: argparse.Namespace) -> int:
    def body() -> tuple[int, Any, str]:
        import yaml

        comp = compose_args(args)
        comp.issues.raise_if_errors()
        data = _config_data(comp, args.resolve)
        doc = {"ok": True, "choices": comp.choices, "config": data, "warnings": warn(comp.issues, args)}
        return EXIT_OK, doc, yaml.safe_dump(data, sort_keys=False).rstrip()

    return run_command(args, body)


def _explain(args: argparse.Namespace) -> int:
    def body() -> tuple[int, Any, str]:
        from omegaconf import OmegaConf

        from ..config import sources as src

        comp = compose_args(args)
        key = args.key
        try:
            src.type_at(key)
        except src.UnknownKey as exc:
            issues = Issues()
            src.add_unknown(issues, exc, None, "the KEY argument")
            issues.raise_if_errors("Unknown key")
        data = OmegaConf.create(_config_data(comp, resolve=True))

        def value(k: str) -> Any:  # lists and mappings as JSON, not their Python repr
            found = OmegaConf.select(data, k)
            return OmegaConf.to_container(found) if OmegaConf.is_config(found) else found

        keys = sorted(k for k in comp.sources if k == key or k.startswith(key + "."))
        items = [{"key": k, "value": value(k), "chain": comp.sources[k],
                  "source": comp.sources[k][-1]["source"]} for k in keys]
        if not items:
            items = [{"key": key, "value": value(key), "chain": [], "source": None}]
        from ..config.ranges import range_for
        from ..config.reference import describe

        lines = []
        for item in items:
            lines.append(f"{item['key']} = {json.dumps(item['value'], default=str)}")
            entry = describe(item["key"])  # what the key does (config/reference.py, from the schema)
            if entry is not None and entry.doc:
                item["doc"] = entry.doc
                lines.append(f"  what        {entry.doc}")
            rng = range_for(item["key"])
            if rng is not None:  # the documented valid range (config/ranges.py)
                item["range"] = {"expected": rng.expected(), "doc": rng.doc}
                lines.append(f"  range       {rng.expected()} ({rng.doc})")
            for i, entry in enumerate(item["chain"]):
                mark = "<- wins" if i == len(item["chain"]) - 1 else "overridden"
                lines.append(f"  {mark:10}  {entry['layer']:8} {entry['source']}")
        return EXIT_OK, {"ok": True, "key": key, "values": items}, "\n".join(lines)

    return run_command(args, body)


def register(sub: Any) -> None:
    parser = sub.add_parser("config", help="validate, show, explain or create a configuration")
    inner = parser.add_subparsers(dest="config_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: parser.print_help() or 2)  # no subcommand: this group's help

    p = inner.add_parser("validate", help="compose and check everything; report every problem at once")
    add_layer_args(p)
    p.set_defaults(func=_validate)

    p = inner.add_parser("show", help="print the composed configuration (secrets redacted)")
    add_layer_args(p)
    p.add_argument("--resolve", action="store_true", help="resolve ${...} interpolations")
    p.set_defaults(func=_show)

    p = inner.add_parser("explain", help="print a key's value and the chain of sources that set it")
    p.add_argument("key", metavar="KEY", help="a dotted key, e.g. backends.cpu.num_threads (or a section)")
    add_layer_args(p)
    p.set_defaults(func=_explain)

    from .cmd_config_init import register_init

    register_init(inner)
