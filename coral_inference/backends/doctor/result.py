"""One finding of coral-runtime doctor, and the report of them all.

Statuses, from good to bad: ``ok`` (checked, fine), ``info`` (worth knowing, nothing to fix), ``skipped``
(cannot apply here, with the reason: no PCIe device, no temperature exposed), ``warning`` and ``error``.
A warning or an error is a problem: it names what was found and the command or page that fixes it, and
makes ``coral-runtime doctor`` exit 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = ("ok", "info", "skipped", "warning", "error")
PROBLEMS = ("warning", "error")
PAGE = "docs/board.md"


@dataclass(frozen=True)
class Result:
    check: str  # which check: "pcie.node", "usb.speed", ... (a heading of docs/board.md)
    status: str  # one of STATUSES
    found: str  # what was found, in a sentence
    subject: str = ""  # what it is about: "pci:0", "usb:1", "libedgetpu", "apex" ... ("" for the board)
    fix: str = ""  # problems only: the command or step that fixes it
    data: dict[str, Any] = field(default_factory=dict)  # the values read, for scripts

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {STATUSES}")

    @property
    def problem(self) -> bool:
        return self.status in PROBLEMS

    @property
    def doc(self) -> str:
        """The section of docs/board.md that explains this check and its fixes."""
        return f"{PAGE}#{self.check.replace('.', '-').replace('_', '-')}"

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "subject": self.subject, "status": self.status, "found": self.found,
                "fix": self.fix or None, "doc": self.doc, "data": self.data}


def ok(check: str, found: str, **kw: Any) -> Result:
    return Result(check, "ok", found, **kw)


def info(check: str, found: str, **kw: Any) -> Result:
    return Result(check, "info", found, **kw)


def skipped(check: str, why: str, **kw: Any) -> Result:
    return Result(check, "skipped", why, **kw)


def warning(check: str, found: str, fix: str, **kw: Any) -> Result:
    return Result(check, "warning", found, fix=fix, **kw)


def error(check: str, found: str, fix: str, **kw: Any) -> Result:
    return Result(check, "error", found, fix=fix, **kw)


def counts(results: list[Result]) -> dict[str, int]:
    return {status: sum(r.status == status for r in results) for status in STATUSES}


def exit_code(results: list[Result]) -> int:
    """0 when nothing is a problem, 1 when a warning or an error was found."""
    return 1 if any(r.problem for r in results) else 0
