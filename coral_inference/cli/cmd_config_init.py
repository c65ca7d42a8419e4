"""coral-runtime config init: write a commented example descriptor (never overwrites silently)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..errors import EXIT_OK, ConfigError
from ..files import check_writable_target, write_text_atomic

TEMPLATE = """\
# coral_inference runtime descriptor: the file layer, the same for both CLIs.
# Precedence, lowest first: plugin defaults < conf/ < this file < CORAL_* environment < command line.
# Check it:  coral-runtime config validate -c {name}   (or --config-dir {folder} --config-name {stem})
# Run it:    coral-run --config-dir {folder} --config-name {stem}   (or coral-runtime init -c {name})
# Explain a value: coral-runtime config explain backends.{backend}.fallback -c {name}

# Group selections (the same as platform=... on the command line); options live in conf/<group>/.
platform: {platform}         # {description}
backends: {backend}
patches: default
services: none
plugins: auto

model:
  path: builtin:selftest     # a .tflite file; Edge-TPU-compiled models need backends with an Edge TPU
  cpu_path: null             # the CPU twin of an Edge-TPU-compiled model (needed for fallback: cpu)
  labels: null

run:
  mode: init                 # init | validate | bench | pipeline
  warmup: 1

# Values below a group go under its name; a descriptor cannot both select an option with
# `backends: x` and set values there, so use a Hydra defaults list for the selections then:
#   defaults:
#     - backends: {backend}
#   backends:
#     {backend}:
#       fallback: cpu
#       num_threads: 2

# Secrets never go here literally: reference the environment.
# services:
#   metrics:
#     enabled: true
#     influxdb_url: http://127.0.0.1:8086
#     database: coral
#     token: ${{oc.env:CORAL_INFLUX_TOKEN,null}}
"""


def _platforms() -> dict[str, str]:
    from ..runtime.platform import shipped_platforms

    found = {name: str(data.get("description") or "") for name, data in shipped_platforms().items()}
    found["auto"] = "detect the platform at run time"
    return found


def render_descriptor(platform: str, name: str = "runtime.yaml") -> str:
    import os

    platforms = _platforms()
    if platform not in platforms:
        raise ConfigError(f"--platform: unknown platform {platform!r}; expected one of {', '.join(sorted(platforms))}")
    backend = "auto" if platform in ("auto", "cpu") else "edgetpu_single"
    folder, base = os.path.split(name)
    return TEMPLATE.format(platform=platform, description=platforms[platform], backend=backend, name=name,
                           folder=folder or ".", stem=os.path.splitext(base)[0])


def _output(args: argparse.Namespace) -> str | None:
    """--output FILE, or --config-dir DIR / --config-name NAME (the file coral-run reads then)."""
    if args.config_dir or args.config_name:
        from ..config.primary import config_path

        if args.output:
            raise ConfigError("--output and --config-dir/--config-name name the same file twice; expected one of them")
        return config_path(args.config_dir or ".", args.config_name or "runtime")
    return args.output


def _init(args: argparse.Namespace) -> int:
    from .cmd_config import run_command

    def body() -> tuple[int, Any, str]:
        output = _output(args)
        if output:
            path = Path(output)
            text = render_descriptor(args.platform, output)
            check_writable_target(path, "--output file", key="--output")  # a link (dangling too) is refused
            if os.path.lexists(path) and not args.force:
                raise ConfigError(f"--output: {path} already exists; not overwriting it (use --force to replace it)")
            try:  # atomic; a symlink, folder or device there is refused even with --force
                write_text_atomic(path, text, "--output file", key="--output")
            except OSError as exc:
                raise ConfigError(f"--output: cannot write {str(path)!r}: {exc.strerror or exc} "
                                  "(expected a writable file path)") from None
            return EXIT_OK, {"ok": True, "path": str(path), "platform": args.platform}, f"wrote {path}"
        text = render_descriptor(args.platform)
        return EXIT_OK, {"ok": True, "path": None, "platform": args.platform, "descriptor": text}, text.rstrip()

    return run_command(args, body)


def register_init(inner: Any) -> None:
    from .cmd_config import add_config_dir_args

    p = inner.add_parser("init", help="write a commented example descriptor")
    p.add_argument("--platform", default="auto", help="a platform option of conf/platform (default: auto)")
    p.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout); never overwrites")
    p.add_argument("--force", action="store_true", help="replace an existing --output file")
    add_config_dir_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.set_defaults(func=_init)
