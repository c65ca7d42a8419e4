"""One coral-run job: RuntimeConfig -> runtime.init -> run mode -> summary. Used by coral-run
(inside Hydra) and reusable by anything that has a composed config and a run directory."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

from ..config.schema import GROUPS
from ..errors import EXIT_OK, EXIT_SIGTERM, EXIT_UNEXPECTED, CoralError, Interrupted
from ..summary import build, now_iso, write_json_atomic


def run_job(cfg: Any, hc: Any, env: Any = None, argv: list[str] | None = None, file: Any = None) -> tuple[int, str]:
    """Run one job; always leaves a summary in the run directory. Returns (exit code, message).
    ``env`` is the CORAL_* layer cli/run.py put before the user's overrides (None: read it here);
    ``file`` the descriptor given as --config-name, if any (its override comes first)."""
    from ..config.compose import for_hydra_run, task_overrides

    started_at = now_iso()
    run_dir = Path(hc.runtime.output_dir)
    choices = {g: hc.runtime.choices.get(g) for g in GROUPS if g in hc.runtime.choices}
    overrides = task_overrides(hc)
    argv = list(argv or sys.argv)
    config = context = error = composition = None
    code, message = EXIT_OK, "ok"
    secret_keys = tuple(cfg.get("summary", {}).get("secret_keys", ()) or ()) or None
    filename = "runtime_summary.json"
    previous = _on_sigterm_raise()
    try:
        composition = for_hydra_run(cfg, hc, env, file)
        try:  # every problem at once: layers, unknown keys, validation (config/validate.py)
            runtime_config = composition.runtime_config()
        finally:
            for warning in composition.issues.warnings:
                print(f"coral-run: warning: {warning.render()}", file=sys.stderr)
            if composition.config is not None:
                config = composition.config.to_dict()
                secret_keys = tuple(composition.config.summary.secret_keys)
                filename = _summary_name(composition.config.summary.filename)
        context = _execute(runtime_config, run_dir)
    except CoralError as exc:
        context = getattr(exc, "context", context)
        error = exc.to_dict()
        code, message = exc.exit_code, exc.render()
        print(f"coral-run: error: {message}", file=sys.stderr)
    except KeyboardInterrupt as interrupt:
        exc = Interrupted("interrupted (SIGINT / Ctrl-C)")
        context = getattr(interrupt, "context", context)
        error, code, message = exc.to_dict(), exc.exit_code, exc.message
        print(f"coral-run: {message}", file=sys.stderr)
    except Exception as exc:  # a bug: say so, keep the summary honest
        context = getattr(exc, "context", context)
        error = {"type": type(exc).__name__, "message": str(exc), "exit_code": EXIT_UNEXPECTED}
        code, message = EXIT_UNEXPECTED, f"unexpected {type(exc).__name__}: {exc}"
        print(f"coral-run: {message} (set CORAL_DEBUG=1 for the traceback)", file=sys.stderr)
        if os.environ.get("CORAL_DEBUG"):
            traceback.print_exc()
    finally:
        if context is not None:  # before the summary: what disable()/deactivate() note is in it
            context.close()
        kwargs = {"secret_keys": secret_keys} if secret_keys else {}
        summary = build(started_at=started_at, argv=argv, overrides=overrides, choices=choices,
                        config=config, context=context, error=error,
                        sources=dict(composition.sources) if composition else {}, **kwargs)
        try:  # strict JSON, atomic, never through a symlink (files.py)
            path = write_json_atomic(run_dir / filename, summary)
        except CoralError as exc:
            code, message, path = exc.exit_code, exc.render(), run_dir / filename
            print(f"coral-run: error: {message}", file=sys.stderr)
        _restore_sigterm(previous)
    _print(summary, path, config)
    return code, message


def _summary_name(name: Any) -> str:
    """summary.filename when it is a plain file name; else the default (validation reports the key, exit 2)."""
    from ..files import plain_name

    try:
        return plain_name(name, "summary.filename")
    except CoralError:
        return "runtime_summary.json"


def _on_sigterm_raise() -> Any:
    """SIGTERM becomes an exception, so a run stopped mid-init still writes a `failed` summary
    (the atomic write leaves either that or nothing, never a partial file)."""
    import signal

    def _raise(signum: int, frame: Any) -> None:
        raise Interrupted("interrupted: terminated by SIGTERM", exit_code=EXIT_SIGTERM)

    try:
        return signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # not the main thread (some launchers): leave signals alone
        return None


def _restore_sigterm(previous: Any) -> None:
    import signal

    if previous is not None:
        try:
            signal.signal(signal.SIGTERM, previous)
        except ValueError:
            pass


def _execute(runtime_config: Any, run_dir: Path | None = None) -> Any:
    from ..runtime import modes
    from ..runtime.init import hold, init

    mode = runtime_config.run.mode.value
    if mode == "validate":  # the config only: no hardware touched, no model run
        return None
    context = init(runtime_config, run_dir=run_dir)
    runner = modes.get(mode, context.registry)
    if runner is not None:
        try:
            context.results[mode] = runner(context)
        except BaseException as exc:  # the caller still closes the context and writes its summary
            hold(exc, context)
            raise
    return context


def _print(summary: dict[str, Any], path: Path, config: Any) -> None:
    fmt = ((config or {}).get("run") or {}).get("output", "text")
    if fmt == "json":
        import json

        print(json.dumps(summary, indent=2, default=str))
        return
    from .render import summary_text

    print(summary_text(summary, path))
