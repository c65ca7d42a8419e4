"""The run folder's guard: coral-run writes only inside its run (or sweep job) folder, never through a
link it did not make, and one run at a time per folder.

* ``RunDirGuard.on_run_start`` runs before Hydra creates or writes anything in hydra.run.dir: a symlink
  (or a folder, FIFO, device) where the run will write (.hydra/ and its files, the job log, the summary,
  results.jsonl) is refused, exit 2 naming the folder and the name; then the folder is locked
  (``.coral-run.lock``, flock: released when the run ends or its process dies): a second run sharing
  the folder while the first runs is refused, exit 2 naming the folder and hydra.run.dir.
* Sweep jobs are locked the same way in ``on_job_start`` (their folders are made by the launcher).
* ``safe_save_config`` stands in for Hydra's ``_save_config`` (.hydra/config.yaml, hydra.yaml,
  overrides.yaml): written atomically, refusing a symlink instead of writing through it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

LOCK_NAME = ".coral-run.lock"
HYDRA_FILES = ("config.yaml", "hydra.yaml", "overrides.yaml")
WRITTEN = ("results.jsonl", "events.jsonl", "masks", "recordings", "snapshots")  # by run modes (files.py refuses links too)
FOLDERS = ("masks", "recordings", "snapshots")
_held: dict[str, int] = {}


def planned_names(config: Any) -> list[str]:
    """Names (relative to the run folder) that a run writes."""
    from omegaconf import OmegaConf

    names = [*WRITTEN]
    subdir = OmegaConf.select(config, "hydra.output_subdir", default=".hydra")
    if subdir:
        names += [str(subdir)] + [f"{subdir}/{n}" for n in HYDRA_FILES]
    job = OmegaConf.select(config, "hydra.job.name", default=None)
    if job:
        names.append(f"{job}.log")
    summary = OmegaConf.select(config, "summary.filename", default=None)
    if isinstance(summary, str) and summary and "/" not in summary and not summary.startswith("."):
        names.append(summary)
    return names


def check_names(config: Any) -> None:
    """hydra.output_subdir and hydra.job.name name things inside the run folder: relative, no '..'."""
    from omegaconf import OmegaConf

    from ..errors import ConfigError, Problem

    for key in ("hydra.output_subdir", "hydra.job.name"):
        value = OmegaConf.select(config, key, default=None)
        if value is None:
            continue
        parts = str(value).replace("\\", "/").split("/")
        if str(value).startswith("/") or ".." in parts or not str(value).strip() or "\x00" in str(value):
            raise ConfigError(f"{key}: {str(value)!r} would put files outside the run folder",
                              problems=[Problem(key, "outside the run folder", value=str(value),
                                                expected="a relative name inside the run folder, without '..'")])


def run_folder(config: Any, key: str) -> Path:
    """The folder ``key`` (hydra.run.dir or hydra.sweep.dir) names, absolute; an empty value is exit 2 (Hydra
    would take the working directory itself: a run folder is named, ``.`` when that is meant)."""
    from omegaconf import OmegaConf

    from ..errors import ConfigError, Problem

    value = OmegaConf.select(config, key, default=None)
    if value is None or not str(value).strip():
        raise ConfigError(f"{key}: empty; expected a folder for the run", problems=[Problem(
            key, "empty", value=str(value or ""), expected="a folder for the run (its own per run; '.' for the "
                                                           "working directory)")])
    return Path(str(value)).absolute()


def check_folder(folder: Path, names: list[str], key: str) -> None:
    """Refuse a symlink or special file at any of ``names`` in ``folder`` (exit 2, naming both)."""
    import stat

    from ..files import FileProblem, _kind_name

    for name in names:
        path = folder / name
        try:
            info = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            continue
        is_dir_name = name in FOLDERS or "/" not in name and name.startswith(".")
        fine = stat.S_ISDIR(info.st_mode) if is_dir_name else stat.S_ISREG(info.st_mode)
        if not fine:
            raise FileProblem(path, "run folder entry", f"{_kind_name(info.st_mode)} where this run writes; "
                              "not followed", f"a {'folder' if is_dir_name else 'regular file'} or nothing "
                              f"at {name!r} in the run folder ({key})", key)


def check_finished(folder: Path, config: Any, key: str) -> None:
    """A folder holding a finished run (its summary, or results) is refused unless summary.overwrite=true:
    a second run in a used folder would replace the first one's results and summary (exit 2)."""
    from omegaconf import OmegaConf

    from ..errors import ConfigError, Problem

    if OmegaConf.select(config, "summary.overwrite", default=False) is True:
        return
    name = OmegaConf.select(config, "summary.filename", default=None)
    found = [n for n in dict.fromkeys([str(name or ""), "runtime_summary.json", "results.jsonl"])
             if n and "/" not in n and not n.startswith(".") and os.path.lexists(folder / n)]  # plain names only
    if found:
        message = f"the folder holds a finished run ({', '.join(found)}); a new run would replace its files"
        raise ConfigError(f"{key}: {message}", problems=[Problem(
            key, message, value=str(folder),
            expected="a new folder per run (the default hydra.run.dir has the time in it), or summary.overwrite=true "
                     "to replace that run's files")])


def lock(folder: Path, key: str) -> None:
    """Hold the folder's lock for this process (idempotent); exit 2 (ConfigError) when another run holds it."""
    import fcntl

    from ..errors import ConfigError
    from ..files import FileProblem, check_writable_target

    folder = Path(folder)
    if str(folder) in _held:
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    check_writable_target(path, "lock file", key=key)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as exc:
        raise FileProblem(path, "lock file", f"cannot create it: {exc.strerror or exc}", "a writable run folder",
                          key) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise ConfigError(f"{key}: the folder {str(folder)!r} is in use by another coral-run (it holds "
                          f"{LOCK_NAME}); two runs never share a folder (expected a folder of its own per run: "
                          "set hydra.run.dir, or wait for the other run to end)") from None
    _held[str(folder)] = fd


def release(folder: Path | None = None) -> None:
    for name in [str(folder)] if folder is not None else list(_held):
        fd = _held.pop(name, None)
        if fd is not None:
            os.close(fd)  # closing drops the flock; the file stays (removing it would race a waiting run)


def _refuse(func: Any) -> Any:
    """Hydra turns a callback's exception into a warning: a refusal is exit 2 (SystemExit passes through)."""
    import functools

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> None:
        import sys

        from ..errors import CoralError

        try:
            func(*args, **kwargs)
        except CoralError as exc:
            print(f"coral-run: error: {exc.render()}", file=sys.stderr)
            raise SystemExit(exc.exit_code) from None

    return guarded


class RunDirGuard(Callback):
    @_refuse
    def on_run_start(self, config: Any, **kwargs: Any) -> None:
        folder = run_folder(config, "hydra.run.dir")
        check_names(config)
        check_folder(folder, planned_names(config), "hydra.run.dir")
        lock(folder, "hydra.run.dir")
        try:
            check_finished(folder, config, "hydra.run.dir")
        except BaseException:
            release(folder)
            raise

    def on_run_end(self, config: Any, **kwargs: Any) -> None:
        release()

    @_refuse
    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        folder = run_folder(config, "hydra.sweep.dir")
        check_names(config)
        check_folder(folder, ["multirun.yaml"], "hydra.sweep.dir")

    @_refuse
    def on_job_start(self, config: Any, **kwargs: Any) -> None:
        from hydra.types import RunMode

        if config.hydra.mode == RunMode.MULTIRUN:
            folder = Path(config.hydra.runtime.output_dir)
            check_folder(folder, planned_names(config), "hydra.sweep.dir")
            lock(folder, "hydra.sweep.dir")
            try:
                check_finished(folder, config, "hydra.sweep.dir")
            except BaseException:
                release(folder)
                raise

    def on_job_end(self, config: Any, **kwargs: Any) -> None:
        from hydra.types import RunMode

        if config.hydra.mode == RunMode.MULTIRUN:
            release(Path(config.hydra.runtime.output_dir))


def safe_save_config(cfg: Any, filename: str, output_dir: Path) -> None:
    """Hydra's _save_config, written atomically and never through a symlink (files.write_text_atomic)."""
    from omegaconf import OmegaConf

    from ..files import ensure_dir, write_text_atomic

    folder = Path(output_dir)
    ensure_dir(folder.parent, folder.name, what="Hydra's output folder")
    write_text_atomic(folder / filename, OmegaConf.to_yaml(cfg), "Hydra record", key="hydra.output_subdir")


def install() -> None:
    """Hydra's run_job saves .hydra/ files through hydra.core.utils._save_config and opens the job log
    through configure_log: use ours (no file written through a link, also in sweep jobs)."""
    from ..config.hydra_internal import get, replace

    replace("hydra.core.utils:_save_config", safe_save_config)
    configure_log = get("hydra.core.utils:configure_log")
    if not getattr(configure_log, "checks_links", False):
        replace("hydra.core.utils:configure_log", _checked_configure_log(configure_log))


def _checked_configure_log(configure_log: Any) -> Any:
    def checked(log_config: Any, *args: Any, **kwargs: Any) -> Any:
        """Refuse a symlink (or FIFO, folder) where a log handler would append (logging follows links)."""
        from ..files import check_writable_target

        try:
            handlers = dict(log_config.get("handlers") or {}) if log_config is not None else {}
            files = [str(h.get("filename")) for h in handlers.values() if h is not None and h.get("filename")]
        except Exception:  # an unresolvable log config: Hydra reports it as before
            files = []
        for filename in files:
            check_writable_target(filename, "job log file", key="hydra.job_logging")
        return configure_log(log_config, *args, **kwargs)

    checked.checks_links = True  # type: ignore[attr-defined]
    return checked
