"""One coral-run job: RuntimeConfig -> runtime.init -> run mode -> summary. run_job (inside Hydra)
composes and checks; execute runs the rest, in the runner process (cli/runner.py) or here."""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.schema import GROUPS
from ..errors import EXIT_OK, EXIT_SIGTERM, EXIT_UNEXPECTED, CoralError, Interrupted
from ..summary import build, now_iso, write_json_atomic


@dataclass
class Job:
    """What a job's summary needs besides the run itself (JSON-able: the runner process gets it too)."""

    started_at: str
    run_dir: str
    argv: list[str]
    overrides: list[str]
    choices: dict[str, Any]
    config: dict[str, Any] | None = None
    sources: dict[str, Any] = field(default_factory=dict)
    secret_keys: list[str] | None = None
    filename: str = "runtime_summary.json"


def run_job(cfg: Any, hc: Any, env: Any = None, argv: list[str] | None = None, file: Any = None) -> tuple[int, str]:
    """Run one job; always leaves a summary in the run directory. Returns (exit code, message).
    ``env`` is the CORAL_* layer cli/run.py put before the user's overrides (None: read it here);
    ``file`` the descriptor given as --config-name, if any (its override comes first).
    The configuration is composed and checked here; in a single run the model runs in the runner, which
    replaces this process (cli/runner.py: no Hydra in memory while the model runs); in a sweep, here."""
    from ..config.compose import for_hydra_run, task_overrides

    job = Job(started_at=now_iso(), run_dir=str(hc.runtime.output_dir), argv=list(argv or sys.argv),
              overrides=task_overrides(hc), choices={g: hc.runtime.choices.get(g) for g in GROUPS
                                                     if g in hc.runtime.choices},
              secret_keys=list(cfg.get("summary", {}).get("secret_keys", ()) or ()) or None)
    previous = _on_sigterm_raise()
    try:
        composition = runtime_config = None
        try:
            composition = for_hydra_run(cfg, hc, env, file)
            try:  # every problem at once: layers, unknown keys, validation (config/validate.py)
                runtime_config = composition.runtime_config()
            finally:
                for warning in composition.issues.warnings:
                    print(f"coral-run: warning: {warning.render()}", file=sys.stderr)
                if composition.config is not None:
                    job.config = composition.config.to_dict()
                    job.secret_keys = list(composition.config.summary.secret_keys)
                    job.filename = _summary_name(composition.config.summary.filename)
        except BaseException as exc:  # noqa: B036 - every failure ends in a summary (execute re-raises it)
            job.sources = dict(composition.sources) if composition else {}
            return execute(job, failure=exc)
        job.sources = dict(composition.sources)
        if runtime_config.run.mode != "validate" and _single_run(hc):
            from .runner import exec_runner

            try:
                exec_runner(job, runtime_config)  # returns only where the runner cannot replace this process
            except (Interrupted, KeyboardInterrupt) as exc:  # a signal while handing over: still a summary
                return execute(job, failure=exc)
        return execute(job, runtime_config)
    finally:
        _restore_sigterm(previous)


def execute(job: Job, runtime_config: Any = None, failure: BaseException | None = None) -> tuple[int, str]:
    """init, run mode, close, summary, print: the job from a checked RuntimeConfig (or a ``failure``
    met before it: then only the summary). Returns (exit code, message)."""
    context = error = None
    code, message = EXIT_OK, "ok"
    try:
        if failure is not None:
            raise failure
        if runtime_config is not None:
            context = _execute(runtime_config, Path(job.run_dir))
    except (CoralError, Interrupted) as exc:
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
        from .. import shutdown

        shutdown.guard()  # from here a second SIGTERM / SIGINT only shortens the waits (shutdown.py)
        if context is not None:  # before the summary: what disable()/deactivate() note is in it
            context.close()
        summary = build_summary(job, context=context, error=error)
        path = Path(job.run_dir) / job.filename
        try:  # strict JSON, atomic, never through a symlink (files.py)
            write_json_atomic(path, summary)
        except CoralError as exc:
            code, message = exc.exit_code, exc.render()
            print(f"coral-run: error: {message}", file=sys.stderr)
    LAST["summary"] = summary  # what the sweep reads: a pipeline / serve job stopped by a signal ends it
    try:
        _print(summary, path, job.config)
    except BrokenPipeError:  # `coral-run | head`: the reader stopped early; the summary is written
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    LAST["stuck"] = _stuck_threads()  # a wait cut at the deadline leaves its thread behind
    LAST["code"] = code  # a signal after this point (handlers restored) ends the process with this code
    shutdown.release()
    return code, message


def _stuck_threads() -> list[str]:
    import threading

    return [t.name for t in threading.enumerate()
            if t is not threading.main_thread() and t.is_alive() and not t.daemon]


def exit_process(code: int) -> None:
    """End a single run with ``code`` once its summary is written. A thread still stuck in a wait the
    shutdown deadline cut (a silent server, a stuck sink) would keep the interpreter alive at exit
    (it joins non-daemon threads): then the process ends here without waiting for it."""
    import signal

    for sig in (signal.SIGTERM, signal.SIGINT):  # the summary is written: a late signal changes nothing now
        try:  # (Python's finalization puts SIG_DFL back for its own handlers: one then kills the exit)
            signal.signal(sig, signal.SIG_IGN)
        except (ValueError, OSError):
            pass
    if LAST.get("stuck") and _stuck_threads():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _single_run(hc: Any) -> bool:
    from hydra.types import RunMode

    return hc.mode == RunMode.RUN


def build_summary(job: Job, context: Any = None, error: dict[str, Any] | None = None) -> dict[str, Any]:
    kwargs = {"secret_keys": tuple(job.secret_keys)} if job.secret_keys else {}
    return build(started_at=job.started_at, argv=job.argv, overrides=job.overrides, choices=job.choices,
                 config=job.config, context=context, error=error, sources=job.sources, **kwargs)


def _summary_name(name: Any) -> str:
    """summary.filename when it is a plain file name; else the default (validation reports the key, exit 2)."""
    from ..files import run_file_name

    try:
        return run_file_name(name, "summary.filename")
    except CoralError:
        return "runtime_summary.json"


LAST: dict[str, Any] = {}


def stopped_by_signal() -> int | None:
    """The exit code (130 / 143) when the last job's run mode (pipeline, serve) ended on SIGINT /
    SIGTERM itself (it exits 0: stopped on purpose), else None."""
    results = (LAST.get("summary") or {}).get("results") or {}
    for result in results.values() if isinstance(results, dict) else ():
        stopped = result.get("stopped_by") if isinstance(result, dict) else None
        if stopped in ("SIGINT", "SIGTERM"):
            return 130 if stopped == "SIGINT" else 143
    return None


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

    mode = runtime_config.run.mode
    if mode == "validate":  # the config only: no hardware touched, no model run
        return None
    context = init(runtime_config, run_dir=run_dir)
    try:
        runner = modes.runner(context)  # a plugin's mode: registered by its plugin at init
        if runner is not None:
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
