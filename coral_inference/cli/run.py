"""coral-run: the Hydra main. Compose conf/, build the RuntimeConfig, init the backends, write
the summary into the run directory.

Exit codes: 0 ok/degraded, 2 configuration error, 3 device/backend failure, 4 plugin failure
under plugins.strict, 130 / 143 stopped by SIGINT / SIGTERM, 1 anything else. In a multirun (-m) a
failed job does not stop the sweep: its summary says why, and the sweep exits 1 at the end; a
signal does: no new job starts, the report marks the jobs that did not run, exit 130 / 143.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from .. import CONF_MODULE, HYDRA_VERSION_BASE
from ..errors import EXIT_CONFIG, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM, EXIT_UNEXPECTED, ConfigError

_state: dict[str, Any] = {"task_started": False, "env": None}

# Hydra's flags that take a value (the value is not an override).
_VALUE_FLAGS = {"-c", "--cfg", "-p", "--package", "-cp", "--config-path", "-cn", "--config-name",
                "-cd", "--config-dir", "--experimental-rerun"}
_INFO_CHOICES = {"all", "config", "defaults", "defaults-tree", "plugins", "searchpath"}


def _takes_value(argv: list[str], i: int) -> bool:
    """Whether the Hydra flag argv[i] takes the next argument as its value."""
    arg = argv[i]
    return arg in _VALUE_FLAGS or (arg in ("-i", "--info") and i + 1 < len(argv) and argv[i + 1] in _INFO_CHOICES)


def insert_overrides(argv: list[str], extra: list[str]) -> list[str]:
    """argv with ``extra`` placed just before the user's first override (so the user's win),
    never between a Hydra flag and its value."""
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if _takes_value(argv, i) else 1
    return argv[:i] + extra + argv[i:]


def user_overrides(argv: list[str]) -> list[str]:
    """The overrides among argv[1:]: every argument that is not a Hydra flag or a flag's value."""
    out, i = [], 1
    while i < len(argv):
        if argv[i].startswith("-"):
            i += 2 if _takes_value(argv, i) else 1
        else:
            out.append(argv[i])
            i += 1
    return out


def env_layer() -> Any:
    """The CORAL_* layer; bad values (or unknown names under CORAL_STRICT=1) end the run (exit 2)."""
    from ..config.descriptor import RuntimeDescriptor

    strict = str(os.environ.get("CORAL_STRICT", "")).lower() in ("1", "true", "yes", "on")
    layer = RuntimeDescriptor.from_env(strict=strict)
    if layer.issues.errors:
        try:
            layer.issues.raise_if_errors("Invalid CORAL_* environment")
        except ConfigError as exc:
            print(f"coral-run: error: {exc.render()}", file=sys.stderr)
            raise SystemExit(EXIT_CONFIG) from None
    return layer


def _hydra_main() -> Any:
    """Hydra's main around ``_task`` (Hydra is imported here: coral-run's main forks the runner first)."""
    import hydra

    return hydra.main(config_path=f"pkg://{CONF_MODULE}", config_name="config",
                      version_base=HYDRA_VERSION_BASE)(_task)()


def _task(cfg: Any) -> Any:
    _state["task_started"] = True
    from hydra.core.hydra_config import HydraConfig

    from .redaction import install

    install(_state.get("argv") or ())  # a joblib / ray worker process is a CLI process of its own
    from hydra.types import RunMode as HydraRunMode

    from .job import run_job

    hc = HydraConfig.get()
    code, _message = run_job(cfg, hc, env=_state["env"], argv=_state.get("argv"), file=_state.get("file"))
    if hc.mode == HydraRunMode.MULTIRUN and code == EXIT_OK:
        from .job import stopped_by_signal

        code = stopped_by_signal() or code  # a pipeline / serve job stops itself on a signal: so does the sweep
    if hc.mode == HydraRunMode.MULTIRUN and code in (EXIT_SIGINT, EXIT_SIGTERM) and _state.get("driver") == os.getpid():
        # a signal stopped this job (run in the driver: the basic launcher): no other job starts
        from .sweep_signals import SweepInterrupted

        raise SweepInterrupted(code - 128)
    if hc.mode == HydraRunMode.MULTIRUN and code in (EXIT_SIGINT, EXIT_SIGTERM):
        # a launcher's worker process (joblib, ray): its job wrote its summary; it must start no other
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if code == EXIT_OK or hc.mode == HydraRunMode.MULTIRUN:
        # In a sweep a failed job must not end the others: its summary records the failure and
        # SweepCallback makes the sweep exit 1 at the end.
        return code
    from .job import exit_process

    exit_process(code)


def _describe(ex: Exception) -> str:
    """One clear message for an error Hydra meets before or around the task."""
    from hydra.errors import CompactHydraException

    from ..errors import CoralError, Interrupted

    if isinstance(ex, (CoralError, Interrupted)):  # ours, e.g. the run folder guard (cli/rundir.py): one clear message
        return ex.render()
    if isinstance(ex, CompactHydraException) and _state.get("argv"):
        # the same message coral-runtime gives: key, the override and its source, what was expected
        from ..config.compose import composition_error
        from ..config.descriptor import RuntimeDescriptor, merge

        env = _state.get("env") or RuntimeDescriptor("env", "environment")
        merged = merge(env, RuntimeDescriptor.from_cli(user_overrides(_state["argv"])))
        if _packaged_config_only(_state["argv"]):  # every problem at once: compose again without the bad override
            from ..config.compose import every_problem

            return every_problem(ex, merged).render()
        return composition_error(ex, merged).render()
    if isinstance(ex, CompactHydraException):
        text = str(ex)
        if ex.__cause__ is not None and str(ex.__cause__) not in text:
            text += "\n" + str(ex.__cause__)
        return text
    log_error = _log_file_error(ex)
    if log_error is not None:  # Hydra's job log: "Unable to configure handler 'file'" names nothing
        key = "hydra.sweep.dir" if _multirun() else "hydra.run.dir"
        return (f"{key}: cannot write the job log {log_error.filename!r}: {log_error.strerror} (in the folder "
                f"{os.path.dirname(str(log_error.filename)) or '.'!r}; expected a writable folder: set {key})")
    if _is_dir_error(ex):
        return (f"cannot create or write the run directory {ex.filename!r}: {ex.strerror} "
                "(expected a writable folder: set hydra.run.dir / hydra.sweep.dir)")
    mark = getattr(ex, "problem_mark", None)  # YAML syntax errors
    if mark is not None:
        where = ", ".join(_unparsable_yaml_files()) or "a config file of --config-dir / --config-name"
        return (f"YAML syntax error at line {mark.line + 1}, column {mark.column + 1}: "
                f"{getattr(ex, 'problem', ex)} (in {where}; expected valid YAML)")
    for plugin, extra in LAUNCHER_EXTRAS.items():  # hydra/launcher=joblib|ray without its plugin
        if f"hydra_plugins.{plugin}." in str(ex):
            return (f"hydra/launcher={extra}: the {plugin} plugin is not installed ({ex}); "
                    f"pip install 'coral_inference[{extra}]'")
    return f"{type(ex).__name__}: {ex}"


# Our conf/hydra/launcher presets and the extras that install their Hydra plugins.
LAUNCHER_EXTRAS = {"hydra_joblib_launcher": "joblib", "hydra_ray_launcher": "ray"}


def _log_file_error(ex: Exception) -> OSError | None:
    """The OSError behind logging's "Unable to configure handler" (the job log file), if that is it."""
    if not (isinstance(ex, ValueError) and "Unable to configure handler" in str(ex)):
        return None
    cause = ex.__cause__ or ex.__context__
    while cause is not None and not (isinstance(cause, OSError) and cause.filename):
        cause = cause.__cause__ or cause.__context__
    return cause


def _multirun() -> bool:
    return any(a in ("-m", "--multirun") for a in (_state.get("argv") or sys.argv)[1:])


def _packaged_config_only(argv: list[str]) -> bool:
    """No --config-dir / --config-name / -m: composing again with the compose API composes the same."""
    flags = ("--config-dir", "-cd", "--config-name", "-cn", "--config-path", "-cp", "-m", "--multirun")
    return not any(a in flags or a.startswith(tuple(f + "=" for f in flags)) for a in argv[1:]) \
        and _state.get("file") is None


def _is_dir_error(ex: Exception) -> bool:
    return isinstance(ex, OSError) and bool(ex.filename)


def _unparsable_yaml_files() -> list[str]:
    """Hydra does not say which file held a YAML syntax error: find it in the user's folders."""
    from pathlib import Path

    import yaml

    folders, args = [], sys.argv[1:]
    for i, arg in enumerate(args):
        if arg in ("--config-dir", "-cd", "--config-path", "-cp") and i + 1 < len(args):
            folders.append(args[i + 1])
        elif arg.startswith(("--config-dir=", "--config-path=")):
            folders.append(arg.split("=", 1)[1])
    bad = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*.yaml")):
            try:
                yaml.safe_load(path.read_text(encoding="utf-8"))
            except (yaml.YAMLError, OSError, UnicodeDecodeError):
                bad.append(str(path))
    return bad


def _run_and_report(func: Any) -> Any:
    """Stands in for Hydra's run_and_report: one short message and an exit code, no traceback
    (CORAL_DEBUG=1 or HYDRA_FULL_ERROR=1 re-raise for the traceback)."""
    from ..errors import Interrupted

    try:
        return func()
    except Interrupted as ex:  # a signal before the job could write a summary (no run folder yet)
        print(f"coral-run: {ex.message}", file=sys.stderr)
        sys.exit(ex.exit_code)
    except Exception as ex:
        if os.environ.get("CORAL_DEBUG") or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        print(f"coral-run: error: {_describe(ex)}", file=sys.stderr)
        env = _state.get("env")
        if env is not None and env.entries and not _state["task_started"]:
            print("coral-run: overrides from the environment were in effect: "
                  + ", ".join(f"{e.source[4:]} -> {e.override}" for e in env.entries), file=sys.stderr)
        # Errors before the task ran (bad override, unknown group option, wrong type, bad YAML,
        # unwritable run or sweep directory) are configuration errors. (With a joblib/ray launcher
        # the tasks run in other processes: another error once the sweep started is not.)
        from .callbacks import SWEEP_STATE

        from hydra.errors import ConfigCompositionException, OverrideParseException

        before_task = not _state["task_started"] and (not SWEEP_STATE["started"] or _is_dir_error(ex))
        # A composition error is a configuration error also in a sweep (the sweeper checks every job's
        # overrides after the multirun started, before any job runs).
        composing = isinstance(ex, (ConfigCompositionException, OverrideParseException))
        from ..errors import CoralError, Interrupted

        if isinstance(ex, (CoralError, Interrupted)):  # e.g. the run folder guard: its own exit code (2)
            sys.exit(ex.exit_code)
        sys.exit(EXIT_CONFIG if before_task or composing else EXIT_UNEXPECTED)


def _check_inputs(argv: list[str]) -> None:
    """Config files of --config-dir and overrides Hydra would read without limits (cli/inputs.py)."""
    from .inputs import check

    try:
        check(argv, user_overrides(argv))
    except ConfigError as exc:
        print(f"coral-run: error: {exc.render()}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def main() -> None:
    from .preload import start

    start(sys.argv)  # the runner, forked before Hydra is imported (cli/preload.py)
    from ..config.hydra_internal import replace
    from .gcstartup import freeze_startup

    freeze_startup()

    from ..config.plugin_defaults import prepare_plugin_defaults
    from ..config.provenance import record_defaults
    from ..config.schema import register
    from .callbacks import SWEEP_STATE
    from .dirname import exclude_secrets
    from .primary_args import descriptor_primary
    from .redaction import install, refuse_undecodable_argv
    from .rundir import install as install_rundir_guard

    try:  # Hydra's _run_hydra looks this helper up at call time; another Hydra than 1.3: one clear message
        replace("hydra._internal.utils:run_and_report", _run_and_report)
    except ConfigError as exc:
        print(f"coral-run: error: {exc.render()}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    install(sys.argv[1:])  # stdout, stderr, log records: redacted (values of this command line and env)
    refuse_undecodable_argv(sys.argv[1:], "coral-run")
    install_rundir_guard()  # .hydra/ files written atomically, never through a symlink (cli/rundir.py)
    register()
    record_defaults()  # the job's provenance reuses the defaults list Hydra composed it from
    _state["env"] = env = env_layer()
    _state["argv"] = list(sys.argv)
    _check_inputs(sys.argv)
    argv, file = descriptor_primary(sys.argv)  # a descriptor as --config-name: the file layer
    _state["file"] = file
    sys.argv = insert_overrides(argv, (file.overrides() if file is not None else []) + env.overrides())
    sys.argv = exclude_secrets(sys.argv, user_overrides(sys.argv), insert_overrides)  # no secret in a folder name
    prepare_plugin_defaults(sys.argv[1:])  # plugins' default_config_overrides, below every file
    _state["driver"] = os.getpid()
    try:
        _hydra_main()
    except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM during a sweep (cli/sweep_signals.py)
        from .callbacks import finish_interrupted_sweep

        code = getattr(exc, "exit_code", EXIT_SIGINT)
        if SWEEP_STATE["started"]:
            finish_interrupted_sweep(code)
        else:
            print("coral-run: interrupted", file=sys.stderr)
        raise SystemExit(code) from None
    if SWEEP_STATE["failed"]:
        print(f"coral-run: {SWEEP_STATE['failed']} of {SWEEP_STATE['jobs']} sweep jobs failed", file=sys.stderr)
        raise SystemExit(EXIT_UNEXPECTED)


if __name__ == "__main__":
    main()
