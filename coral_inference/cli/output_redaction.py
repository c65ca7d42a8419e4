"""stdout, stderr and log records redacted (the text rules of coral_inference/redaction.py), for every
process of the CLIs: coral-run, coral-runtime and coral-run's runner process (cli/runner.py). No Hydra here."""

from __future__ import annotations

from typing import Any


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

    from ..redaction import remember_override, use_secret_keys

    environ = os.environ if environ is None else environ
    use_secret_keys(secret_key_names(list(argv or ()), environ))  # before anything is remembered by key
    for arg in argv or ():
        remember_override(str(arg).removeprefix("--set="))
    remember_config_files(list(argv or ()))
    for name, value in environ.items():
        if name.upper().startswith("CORAL_"):  # CORAL_SERVICES__METRICS__TOKEN -> services.metrics.token
            remember_override(name[len("CORAL_"):].lower().replace("__", ".") + "=" + str(value))
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, RedactingStream):
            setattr(sys, name, RedactingStream(stream))
    redact_log_records()


def secret_key_names(argv: list[str], environ: Any) -> list[str]:
    """The names a command line (``summary.secret_keys=[a,b]``, ``+summary.secret_keys=…``) or
    CORAL_SUMMARY__SECRET_KEYS adds to the secret-key rule, known before the config is composed."""
    values = [str(a).removeprefix("--set=").partition("=")[2] for a in argv
              if str(a).removeprefix("--set=").lstrip("+~").partition("=")[0] == "summary.secret_keys"]
    values += [v for k, v in environ.items() if k.upper() == "CORAL_SUMMARY__SECRET_KEYS"]
    names = []
    for value in values:
        for item in str(value).strip().strip("[]").split(","):
            item = item.strip().strip("'\"").strip()
            if item:
                names.append(item)
    return names


FILE_FLAGS = ("-c", "--config-file")  # coral-runtime's descriptor file
DIR_FLAGS = ("--config-dir", "-cd", "--config-path", "-cp")  # a folder of YAML files (both CLIs)
MAX_FILES = 200


def remember_config_files(argv: list[str]) -> None:
    """The values under secret keys in the config files of the command line (``-c FILE``, every YAML
    file of ``--config-dir``): an error that quotes one (``Cannot convert 'dict' to string: '{'a':
    'S'}'``) before the config is composed still prints ***. Unreadable files are the CLI's to report."""
    from pathlib import Path

    from ..redaction import remember_config

    files: list[Path] = []
    for i, arg in enumerate(argv):
        flag, eq, value = arg.partition("=")
        if not eq:
            flag, value = arg, (argv[i + 1] if i + 1 < len(argv) else "")
        if flag in FILE_FLAGS and value:
            files.append(Path(value))
        elif flag in DIR_FLAGS and value:
            try:
                files += sorted(Path(value).rglob("*.yaml"))[:MAX_FILES] + sorted(Path(value).rglob("*.yml"))[:MAX_FILES]
            except OSError:
                pass
    for path in files[:MAX_FILES]:
        try:
            from ..files import load_yaml_checked

            remember_config(load_yaml_checked(path))
        except Exception:  # not ours to report here: the CLI reads the file again and says what is wrong
            continue


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

