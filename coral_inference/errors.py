"""Error types that carry the key, the value, where it came from and the exit code.

Exit codes (documented in docs/configuration.md, "Errors and exit codes"):
  0  ok or degraded
  1  unexpected failure (a bug; set CORAL_DEBUG=1 for the traceback)
  2  configuration error: bad key, type, value or missing file
  3  device or backend initialization failure
  4  plugin failure while plugins.strict=true
  5  coral-runtime audit verify: the config or a model changed since the run
  6  run.mode=pipeline (or serve): every stream failed (each stream's status and last error are in the summary)
  130 / 143  interrupted by SIGINT (Ctrl-C) / terminated by SIGTERM; the summary says `failed`
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_CONFIG = 2
EXIT_BACKEND = 3
EXIT_PLUGIN = 4
EXIT_MISMATCH = 5  # coral-runtime audit verify
EXIT_STREAMS = 6  # every stream of the run failed
EXIT_SIGINT = 130  # 128 + SIGINT: interrupted (Ctrl-C)
EXIT_SIGTERM = 143  # 128 + SIGTERM: terminated


@dataclass
class Problem:
    """One thing wrong with a configuration value."""

    key: str
    message: str
    value: Any = None
    source: str | None = None
    expected: str | None = None
    severity: str = "error"  # "error" | "warning"

    @property
    def shown_value(self) -> Any:
        """The value as it may be shown: a secret-looking key's value is never printed."""
        from .redaction import REDACTED, is_secret_key, redact, redact_text

        if self.value not in (None, "") and is_secret_key(self.key):
            return REDACTED
        if isinstance(self.value, str):  # an override or a message quoting one: key=value parts, URLs
            return redact_text(self.value)
        return redact(self.value)

    @property
    def shown_message(self) -> str:
        """The message with secret-looking ``key=value`` / ``key: value`` parts redacted (Hydra
        quotes whole overrides such as ``ice_servers=[{…,credential:…}]`` in its errors)."""
        from .redaction import redact_text

        return redact_text(self.message)

    @property
    def shown_source(self) -> str | None:
        from .redaction import redact_text

        return redact_text(self.source) if self.source else self.source

    def render(self) -> str:
        text = f"{self.key}: {self.shown_message}"
        details = []
        if self.value is not None:
            details.append(f"value {self.shown_value!r}")
        if self.source:
            details.append(f"from {self.shown_source}")
        if self.expected:
            details.append(f"expected {self.expected}")
        if details:
            text += " (" + "; ".join(details) + ")"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "message": self.shown_message,
            "value": self.shown_value if _jsonable(self.shown_value) else repr(self.shown_value),
            "source": self.shown_source,
            "expected": self.expected,
            "severity": self.severity,
        }


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, list, dict))


class _Carries:
    """What every error of ours carries: an exit code, a message and, optionally, problems."""

    exit_code = EXIT_UNEXPECTED

    def __init__(self, message: str, *, problems: list[Problem] | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])
        if exit_code is not None:
            self.exit_code = exit_code

    def render(self) -> str:
        from .redaction import redact_text

        lines = [redact_text(self.message)]
        lines += [f"  - {p.render()}" for p in self.problems]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": type(self).__name__,
            "message": self.render(),
            "exit_code": self.exit_code,
            "problems": [p.to_dict() for p in self.problems],
        }


class CoralError(_Carries, Exception):
    """Base of every expected error; carries an exit code and, optionally, problems."""


class ConfigError(CoralError):
    """The configuration is wrong (exit 2)."""

    exit_code = EXIT_CONFIG


class BackendError(CoralError):
    """A device or backend could not be initialized (exit 3)."""

    exit_code = EXIT_BACKEND


DOCTOR_POINTER = ("Next: 'coral-runtime doctor' checks this board (driver, device nodes and permissions, USB link, "
                  "libedgetpu and interpreter versions) and names the fix; give it the same platform.device_root.")


class BoardError(BackendError):
    """A device, driver, Edge TPU runtime or interpreter failure that ``coral-runtime doctor`` explains: the
    rendered message (what coral-run prints and the summary's error) ends with DOCTOR_POINTER, said once
    however the message was built. ``message`` stays without it, so messages that quote others (a pool's
    per-device failures) do not repeat it."""

    def render(self) -> str:
        return f"{super().render()}\n{DOCTOR_POINTER}"


class PluginError(CoralError):
    """A plugin failed while plugins.strict is true (exit 4)."""

    exit_code = EXIT_PLUGIN


class StreamsFailed(CoralError):
    """Every stream of a pipeline/serve run failed (exit 6)."""

    exit_code = EXIT_STREAMS


class Interrupted(_Carries, BaseException):
    """The run was stopped by a signal (exit 130 for SIGINT, 143 for SIGTERM).

    A BaseException like KeyboardInterrupt, not a CoralError: the many ``except Exception`` that keep
    one plugin, patch or sink from taking the others down let it through at the root, so a signal
    during a plugin's import or activate() stops the run instead of being recorded as that plugin's
    failure. Catch it by name (``except (CoralError, Interrupted)``) where a run ends."""

    exit_code = EXIT_SIGINT


def source_of(config: Any, key: str) -> str | None:
    """Where the value at ``key`` of a config came from (``conf/backends/cpu.yaml``, ``env CORAL_…``,
    ``command line``…), read from its ``sources`` (key -> chain of {"source": …}, the last one won; as
    config/provenance.py records them); for a part of a list or dict value (``a.b[0].c``) the nearest
    key that has a recorded source. None when nothing is recorded."""
    import re

    sources = getattr(config, "sources", None) or {}
    entry = sources.get(key)
    while entry is None and re.search(r"(\[\d+\]|\.[^.\[]+)$", key):
        key = re.sub(r"(\[\d+\]|\.[^.\[]+)$", "", key)
        entry = sources.get(key)
    if isinstance(entry, dict):
        return entry.get("source")
    if isinstance(entry, (list, tuple)) and entry:
        last = entry[-1]
        return last.get("source") if isinstance(last, dict) else str(last)
    return entry


@dataclass
class Issues:
    """Collects problems so that every one is reported at once.

    Given the config the problems are about (``Issues(config=config)``, or ``issues.for_config(config)``:
    a view adding to the same list), ``add`` fills a problem's ``source`` from where the value at its key
    came from (``source_of``) unless the caller gives one (``source=None`` included). Config validation
    hands every check ``check(config, issues)`` such an Issues."""

    items: list[Problem] = field(default_factory=list)
    config: Any = field(default=None, repr=False, compare=False)

    def for_config(self, config: Any) -> "Issues":
        """This list of problems, with sources filled from ``config``."""
        return Issues(self.items, config)

    def source(self, key: str) -> str | None:
        """Where the value at ``key`` came from (for a problem about one key caused by another)."""
        return None if self.config is None else source_of(self.config, key)

    def add(self, key: str, message: str, **kw: Any) -> None:
        if "source" not in kw and self.config is not None:
            kw["source"] = source_of(self.config, key)
        self.items.append(Problem(key, message, **kw))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def raise_if_errors(self, what: str = "Invalid configuration") -> None:
        errors = self.errors
        if errors:
            n = len(errors)
            raise ConfigError(f"{what}: {n} problem{'s' if n > 1 else ''}", problems=errors)
