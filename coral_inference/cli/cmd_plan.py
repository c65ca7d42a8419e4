"""coral-runtime plan: does this config fit these Edge TPUs? (coral_inference/plan/, docs/backends.md
"Capacity planning"). The config layers and flags are those of ``coral-runtime config validate``.

Exit 0: it fits; 1: it does not (the advice says what to move or slow); 2: bad input (the config, a flag, a
--bench folder, or a stream's model whose device time is unknown: the message says how to give it).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import EXIT_CONFIG, EXIT_OK, ConfigError

EXIT_DOES_NOT_FIT = 1


def _device_ms(text: str) -> tuple[str, float]:
    name, sep, value = text.rpartition("=")
    try:
        ms = float(value)
    except ValueError:
        ms = -1.0
    if not sep or not name or not ms > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=MS, NAME a model ('default', a key of models) "
                                         "or a model file name, MS > 0")
    return name, ms


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a fraction in [0, 1)")
    return value


def _fps(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected frames per second > 0")
    return value


def register(sub: Any) -> None:
    from . import cmd_config
    from ..plan import DEFAULT_ASSUME_FPS, DEFAULT_MARGIN

    p = sub.add_parser("plan", help="does this config fit its Edge TPUs? the load on each device, what to change")
    cmd_config.add_layer_args(p)
    p.add_argument("--bench", action="append", default=[], metavar="RUN_DIR",
                   help="a coral-run run.mode=bench run folder (or sweep folder): measured device times; repeatable")
    p.add_argument("--device-ms", action="append", default=[], type=_device_ms, metavar="NAME=MS",
                   help="a model's device time in ms (NAME: default, a key of models, or a file name); repeatable")
    p.add_argument("--margin", type=_fraction, default=DEFAULT_MARGIN,
                   help=f"headroom kept on every device: it fits when each is at most 1 - margin busy "
                        f"(default {DEFAULT_MARGIN})")
    p.add_argument("--assume-fps", type=_fps, default=DEFAULT_ASSUME_FPS,
                   help=f"the rate of a stream with no max_fps whose source states none (default {DEFAULT_ASSUME_FPS:g})")
    p.add_argument("--link", choices=("auto", "usb3", "usb2", "devboard"), default="auto",
                   help="which column of Coral's published times (auto: the Dev Board's on a Dev Board, else USB 3)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from . import cmd_config

    def body() -> tuple[int, Any, str]:
        from ..plan import make_plan, measured
        from ..plan.render import text

        comp = cmd_config.compose_args(args)
        try:
            config = comp.runtime_config()
        finally:
            cmd_config.warn(comp.issues, args)
        given = dict(args.device_ms)
        names = {"default", *dict(config.models)}
        files = {Path(str(p)).name for m in [config.model, *dict(config.models).values()]
                 for p in (list(m.segments) or [m.path])}
        for name in given:
            if name not in names | files:
                raise ConfigError(f"--device-ms: {name!r} names no model of this config (expected one of "
                                  f"{', '.join(sorted(names | files))})")
        found = measured.read(args.bench, config.summary.filename) if args.bench else []
        doc = make_plan(config, measurements=found, given=given, link=args.link, margin=args.margin,
                        assume_fps=args.assume_fps)
        doc["ok"] = bool(doc["fits"])
        if doc["problems"]:  # unknown device times (or a stream the plan cannot size): say each, exit 2
            import sys

            for problem in doc["problems"]:
                print(f"coral-runtime plan: error: {problem}", file=sys.stderr)
            return EXIT_CONFIG, doc, text(doc)
        return (EXIT_OK if doc["fits"] else EXIT_DOES_NOT_FIT), doc, text(doc)

    return cmd_config.run_command(args, body)
