"""Hydra writes .hydra/config.yaml, hydra.yaml and overrides.yaml before the task runs, with
command-line values verbatim (hydra issue #2249): this callback rewrites them redacted, before
the job's own code starts (on_job_start runs right after Hydra saved them); the same for a
sweep's multirun.yaml. ``install`` is the chokepoint of a CLI process: stdout, stderr and every log
record (Hydra's launchers log each job's overrides) go through the text rules of redaction.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

FILES = ("config.yaml", "hydra.yaml", "overrides.yaml")


def redact_yaml_file(path: Path, secret_keys) -> bool:
    """Rewrite one YAML file with secrets redacted (atomically); True when it changed. Redaction
    never depends on decoding: a file that is not UTF-8 or not loadable YAML (Hydra writes an
    undecodable byte as an escape PyYAML will not read back) is redacted as text, line by line."""
    import os
    import tempfile

    import yaml

    from ..redaction import redact, redact_text

    try:
        raw = path.read_bytes()
    except OSError:
        return False
    text = raw.decode("utf-8", "surrogateescape")
    try:
        # libyaml's C loader when PyYAML has it: this runs on every job start (start-up time is a benchmark)
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        cleaned = redact(data, secret_keys)
        out = None if cleaned == data else yaml.safe_dump(cleaned, sort_keys=False, default_flow_style=False)
    except Exception:  # not YAML we can read back: the text rules (keys, YAML blocks, values seen, URLs)
        out = redact_text(text, secret_keys)
        out = None if out == text else out
    if out is None:
        return False
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(out.encode("utf-8", "surrogateescape"))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return True


def _secret_keys(config: Any) -> tuple[str, ...]:
    from ..summary import DEFAULT_SECRET_KEYS

    return tuple(config.get("summary", {}).get("secret_keys", ()) or ()) or DEFAULT_SECRET_KEYS


class RedactHydraFiles(Callback):
    def on_job_start(self, config: Any, **kwargs: Any) -> None:
        from hydra.types import RunMode

        hydra_cfg = config.hydra
        keys = _secret_keys(config)
        if hydra_cfg.mode == RunMode.MULTIRUN:  # the sweeper saved it (command line verbatim) before any job
            redact_yaml_file(Path(hydra_cfg.sweep.dir) / "multirun.yaml", keys)
        if hydra_cfg.output_subdir is None:
            return
        folder = Path(hydra_cfg.runtime.output_dir) / hydra_cfg.output_subdir
        for name in FILES:
            redact_yaml_file(folder / name, keys)

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:  # jobs that ran where this folder is not
        redact_yaml_file(Path(config.hydra.sweep.dir) / "multirun.yaml", _secret_keys(config))


class RedactingStream:
    """stdout / stderr through the text rules of redaction.py: complete lines are redacted as they
    are written (a partial line waits for its newline or a flush), everything else is delegated."""

    def __init__(self, stream: Any):
        self._stream = stream
        self._pending = ""
        try:  # a non-UTF-8 byte from the environment must not end the run with UnicodeEncodeError
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass

    def write(self, text: Any) -> int:
        if not isinstance(text, str):
            return self._stream.write(text)
        self._pending += text
        if "\n" in self._pending:
            head, _, self._pending = self._pending.rpartition("\n")
            self._emit(head + "\n")
        elif len(self._pending) > 1 << 16:
            self._emit(self._pending)
            self._pending = ""
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def _emit(self, text: str) -> None:
        from ..redaction import REDACTED, redact_text

        try:
            text = redact_text(text)
        except Exception:  # never let a bug in a rule print what it was meant to hide
            text = REDACTED + "\n"
        self._stream.write(text)

    def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, ""
            self._emit(pending)
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def install(argv: list[str] | None = None, environ: Any = None) -> None:
    """The chokepoint of a CLI process: remember the secret values of its command line and CORAL_*
    environment, wrap stdout and stderr, redact every log record. Idempotent."""
    import os
    import sys

    from ..redaction import remember_override

    for arg in argv or ():
        remember_override(str(arg).removeprefix("--set="))
    environ = os.environ if environ is None else environ
    for name, value in environ.items():
        if name.upper().startswith("CORAL_"):  # CORAL_SERVICES__METRICS__TOKEN -> services.metrics.token
            remember_override(name[len("CORAL_"):].lower().replace("__", ".") + "=" + str(value))
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, RedactingStream):
            setattr(sys, name, RedactingStream(stream))
    redact_log_records()


def redact_log_records() -> None:
    """Every log record (Hydra's launcher lines ``#0 : token=…``, the job log file) is formatted and
    redacted as it is made, its traceback text too."""
    import logging

    from ..redaction import redact_text

    make = logging.getLogRecordFactory()
    if getattr(make, "redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            record.msg, record.args = redact_text(record.getMessage()), ()
            if record.exc_info:
                record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        except Exception:  # a malformed record is logging's to report
            pass
        return record

    factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)

