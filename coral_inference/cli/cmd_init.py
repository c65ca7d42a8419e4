"""coral-runtime init (alias apply): compose like coral-run, run runtime.init(), print platform,
patches, backends and plugins. Exit 0 ok/degraded, 2 configuration, 3 device/backend, 4 plugin."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import EXIT_OK, ConfigError, CoralError


def _init(args: argparse.Namespace) -> int:
    from ..runtime.init import attach, init
    from ..summary import build, now_iso, write_json_atomic
    from .cmd_config import compose_args, run_command, warn
    from .render import summary_text

    def body() -> tuple[int, Any, str]:
        started_at = now_iso()
        comp = compose_args(args)
        try:
            config = comp.runtime_config()
        finally:  # the warnings too when the config fails (an unknown CORAL_ name may be the cause)
            warn(comp.issues, args)
        context, error, code = None, None, EXIT_OK
        try:
            context = init(config)
        except CoralError as exc:
            context, error, code = attach(exc), exc.to_dict(), exc.exit_code
            print(f"coral-runtime: error: {exc.render()}", file=sys.stderr)
        if context is not None:  # before the summary: what disable()/deactivate() note is in it
            context.close()
        summary = build(started_at=started_at, argv=list(sys.argv), overrides=list(args.overrides) + args.set,
                        choices=comp.choices, config=config.to_dict(), context=context, error=error,
                        sources=dict(comp.sources), secret_keys=tuple(config.summary.secret_keys))
        try:
            path = write_json_atomic(args.summary, summary) if args.summary else None
        except OSError as exc:
            raise ConfigError(f"--summary: cannot write {args.summary!r}: {exc.strerror or exc} "
                              "(expected a writable file path)") from None
        return code, summary, summary_text(summary, path, title="coral-runtime init")

    return run_command(args, body)


def register(sub: Any) -> None:
    from .cmd_config import add_layer_args

    p = sub.add_parser("init", aliases=["apply"], help="initialize the runtime from a configuration and report")
    add_layer_args(p)
    p.add_argument("--summary", metavar="FILE", help="also write the run summary (JSON) here, atomically")
    p.set_defaults(func=_init)
