"""coral-runtime config init: write a commented example descriptor (never overwrites silently)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import EXIT_OK, ConfigError

TEMPLATE = """\
# coral_inference runtime descriptor: the -c FILE layer of coral-runtime.
# Precedence, lowest first: plugin defaults < conf/ < this file < CORAL_* environment < command line.
# Check it:  coral-runtime config validate -c {name}
# Run it:    coral-runtime init -c {name}
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
    platforms = _platforms()
    if platform not in platforms:
        raise ConfigError(f"--platform: unknown platform {platform!r}; expected one of {', '.join(sorted(platforms))}")
    backend = "auto" if platform in ("auto", "cpu") else "edgetpu_single"
    return TEMPLATE.format(platform=platform, description=platforms[platform], backend=backend, name=name)


def _init(args: argparse.Namespace) -> int:
    from .cmd_config import run_command

    def body() -> tuple[int, Any, str]:
        if args.output:
            path = Path(args.output)
            text = render_descriptor(args.platform, path.name)
            if path.exists() and not args.force:
                raise ConfigError(f"--output: {path} already exists; not overwriting it (use --force to replace it)")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"--output: cannot write {str(path)!r}: {exc.strerror or exc} "
                                  "(expected a writable file path)") from None
            return EXIT_OK, {"ok": True, "path": str(path), "platform": args.platform}, f"wrote {path}"
        text = render_descriptor(args.platform)
        return EXIT_OK, {"ok": True, "path": None, "platform": args.platform, "descriptor": text}, text.rstrip()

    return run_command(args, body)


def register_init(inner: Any) -> None:
    p = inner.add_parser("init", help="write a commented example descriptor")
    p.add_argument("--platform", default="auto", help="a platform option of conf/platform (default: auto)")
    p.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout); never overwrites")
    p.add_argument("--force", action="store_true", help="replace an existing --output file")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.set_defaults(func=_init)
