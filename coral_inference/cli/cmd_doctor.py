"""coral-runtime doctor [--json] [--user NAME] [--device-root DIR] [-c FILE] [OVERRIDE ...]: check the board.

Composes the configuration as coral-run does (the same layers: -c FILE, --config-dir, CORAL_* env,
overrides) and reads what a run would use from it: platform.device_root, platform.delegate_library,
platform.clock, run.interpreter and the platform. Then every check of backends/doctor/ runs under the
device root. Exit 0: nothing to fix; 1: problems found (each with its fix); 2: bad input (a key, the
device root, an unknown --user).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..errors import EXIT_OK, ConfigError
from .cmd_config import add_layer_args, compose_args, run_command

MARK = {"ok": "ok", "info": "info", "skipped": "skipped", "warning": "WARNING", "error": "ERROR"}


def register(sub) -> None:
    parser = sub.add_parser("doctor", help="check the board: Edge TPUs, driver, permissions, USB link, libedgetpu, "
                                           "interpreter, temperature; name the fix for each problem")
    add_layer_args(parser)
    parser.add_argument("--device-root", default=None, metavar="DIR",
                        help="read /sys, /dev, /proc and /etc under DIR (same as platform.device_root=DIR)")
    parser.add_argument("--user", default=None, metavar="NAME",
                        help="judge device access for this user (from etc/passwd under the device root) instead of "
                             "the current one, e.g. the account a service runs as")
    parser.set_defaults(func=run)


def board_for(args: argparse.Namespace) -> Any:
    """The Board of the composed configuration and the arguments."""
    from ..backends.doctor import Board
    from ..backends.doctor.users import UnknownUser

    if args.device_root is not None:
        args.overrides = [*args.overrides, f"platform.device_root={args.device_root}"]
    comp = compose_args(args)
    config = comp.runtime_config(validate=False)
    platform = config.platform
    root = platform.device_root or "/"
    if not os.path.isdir(root):
        raise ConfigError(f"platform.device_root: {root!r} is not a directory (from "
                          f"{_source(comp, 'platform.device_root')}; expected / or a folder holding sys/ and dev/)")
    board = Board(root, library=platform.delegate_library, clock=_value(platform.clock),
                  interpreter=config.run.interpreter,
                  platform={"name": platform.name, "max_devices": platform.max_devices,
                            "edgetpu_types": list(platform.edgetpu_types)})
    if args.user is not None:
        try:
            board.user = board.accounts.named(args.user)
        except UnknownUser as exc:
            raise ConfigError(f"--user: {exc} under the device root {root!r}; expected an account name there") from None
    return board


def _value(item: Any) -> Any:
    return getattr(item, "value", item)


def _source(comp: Any, key: str) -> str:
    chain = comp.sources.get(key) or [{}]
    return chain[-1].get("source") or "the defaults"


def render(board: Any, results: list[Any]) -> str:
    from ..backends.doctor.result import counts

    tally = counts(results)
    problems = tally["warning"] + tally["error"]
    head = (f"{problems} problem(s): {tally['error']} error(s), {tally['warning']} warning(s)" if problems
            else f"all good ({tally['ok']} ok, {tally['info']} note(s), {tally['skipped']} skipped)")
    lines = [f"coral-runtime doctor: {head}; device root {board.device_root}, user {board.user.name}"]
    for r in results:
        subject = f" [{r.subject}]" if r.subject and not r.found.startswith(r.subject) else ""
        lines.append(f"  {MARK[r.status]:<8} {r.check}{subject}: {r.found}")
        if r.problem:
            lines.append(f"           fix: {r.fix}")
            lines.append(f"           see: {r.doc}")
    found = ", ".join(f"{d.spec} {d.state}" for d in board.devices) or "none"
    lines.append(f"Edge TPUs: {found}. Every check and its fixes: docs/board.md; --json for scripts.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    def body() -> tuple[int, Any, str]:
        from ..backends.doctor import exit_code, report, run as run_checks

        board = board_for(args)
        results = run_checks(board)
        code = exit_code(results)
        return code if code else EXIT_OK, report(board, results), render(board, results)

    return run_command(args, body)
