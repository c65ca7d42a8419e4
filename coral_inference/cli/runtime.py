"""coral-runtime: the companion CLI (argparse). Commands live in their own modules, listed in
COMMANDS; each has ``register(subparsers)`` that adds its parser with ``set_defaults(func=...)``.
A command's function takes the parsed args and returns the exit code."""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__

COMMANDS: list[str] = [
    "coral_inference.cli.cmd_audit",
    "coral_inference.cli.cmd_devices",
    "coral_inference.cli.cmd_doctor",
    "coral_inference.cli.cmd_model",
    "coral_inference.cli.cmd_plugins",
    "coral_inference.cli.cmd_config",
    "coral_inference.cli.cmd_init",
    "coral_inference.cli.cmd_sweep",
    "coral_inference.cli.cmd_plan",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coral-runtime",
        description="Validate, show and explain coral_inference configs; list plugins and devices; inspect models.",
    )
    parser.add_argument("--version", action="version", version=f"coral-runtime (coral_inference) {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .gcstartup import freeze_startup

    freeze_startup()
    from .redaction import install, refuse_undecodable_argv

    install(sys.argv[1:] if argv is None else argv)  # stdout, stderr, logs: redacted (redaction.py)
    refuse_undecodable_argv(sys.argv[1:] if argv is None else argv, "coral-runtime")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # overrides after an option: argparse leaves them over; they are overrides all the same
        if not hasattr(args, "overrides") or any(e.startswith("-") for e in extra):
            parser.error("unrecognized arguments: " + " ".join(extra))
        args.overrides = list(args.overrides) + extra
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from ..errors import CoralError

    try:
        return int(args.func(args) or 0)
    except CoralError as exc:  # e.g. a file that is not what it should be (files.FileProblem): exit 2, no traceback
        print(f"coral-runtime: error: {exc.render()}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `coral-runtime ... | head`: the reader stopped early; nothing went wrong here
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when stdout is flushed at exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
