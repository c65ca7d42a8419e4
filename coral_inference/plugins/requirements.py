"""Version requirements of a plugin (PEP 440, with `packaging`); every unmet one is reported.

- ``min_core_version`` against coral_inference's version;
- ``min_inference_version`` against the TFLite interpreter package in use (run.interpreter):
  a version for whichever it is, or a mapping module -> version (``{"ai_edge_litert": "1.2"}``;
  a module missing from the mapping is unsupported). Which interpreter is in use is the backends'
  business: the caller passes it in (``interpreter_info``), so this layer imports no backend;
- ``requires``: distribution -> specifier, against the installed distributions.

Pre-releases compare as PEP 440 says (0.2.0rc1 < 0.2), and an installed pre-release satisfies a
specifier range it lies in (numpy 2.1.0rc1 satisfies ``>=1.26``).
"""

from __future__ import annotations

from typing import Any, Callable

from .. import __version__


def installed_version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


# (module, version, problem) of the interpreter in use, or a zero-argument callable giving it
# (called only when a plugin declares min_inference_version).
InterpreterInfo = "tuple[str | None, str | None, str | None] | Callable[[], tuple] | None"


def _at_least(what: str, installed: str | None, minimum: str) -> str | None:
    from packaging.version import InvalidVersion, Version

    try:
        wanted = Version(str(minimum))
    except InvalidVersion:
        return f"{what}: {minimum!r} is not a PEP 440 version"
    if installed is None:
        return f"needs {what} >= {minimum}, but its version is unknown"
    try:
        have = Version(installed)
    except InvalidVersion:
        return f"needs {what} >= {minimum}, but the installed version {installed!r} is not PEP 440"
    return None if have >= wanted else f"needs {what} >= {minimum} (installed: {installed})"


def requirements(spec: Any, *, interpreter: str | None = "auto", core_version: str | None = None,
                 version_of: Callable[[str], str | None] = installed_version,
                 interpreter_info: Any = None) -> list[dict[str, Any]]:
    """One row per declared requirement: ``{"requirement", "installed", "met", "problem"}`` (what
    ``plugins list`` shows). ``interpreter``: the run.interpreter choice (named in messages);
    ``interpreter_info``: see InterpreterInfo; when either is None, ``min_inference_version`` is
    left out (not checked)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    rows: list[dict[str, Any]] = []

    def row(requirement: str, installed: str | None, problem: str | None) -> None:
        rows.append({"requirement": requirement, "installed": installed, "met": problem is None, "problem": problem})

    if spec.min_core_version:
        have = core_version or __version__
        row(f"coral_inference>={spec.min_core_version}", have, _at_least("coral_inference", have, spec.min_core_version))
    if spec.min_inference_version and interpreter is not None and interpreter_info is not None:
        module, have, missing = interpreter_info() if callable(interpreter_info) else interpreter_info
        minimum = spec.min_inference_version
        text = (", ".join(f"{m}>={v}" for m, v in sorted(minimum.items())) if isinstance(minimum, dict)
                else f"interpreter>={minimum}")
        installed = f"{module} {have}" if module else None
        if module is None:
            row(text, None, f"needs a TFLite interpreter, but none is usable ({missing})")
        elif isinstance(minimum, dict):
            row(text, installed, f"supports the interpreters {', '.join(sorted(minimum))}, not {module} "
                                 f"(run.interpreter={interpreter})" if module not in minimum
                else _at_least(module, have, minimum[module]))
        else:
            row(text, installed, _at_least(f"interpreter {module}", have, minimum))
    for dist, specifier in (spec.requires or {}).items():
        have = version_of(dist)
        try:
            wanted = SpecifierSet(str(specifier or ""))
        except InvalidSpecifier:
            row(f"{dist}{specifier}", have, f"requires {dist}: {specifier!r} is not a PEP 440 specifier")
            continue
        if have is None:
            row(f"{dist}{specifier}", None, f"requires {dist}{specifier}, which is not installed")
        else:
            row(f"{dist}{specifier}", have,
                None if _contains(wanted, have) else f"requires {dist}{specifier} (installed: {have})")
    return rows


def check_requirements(spec: Any, **kwargs: Any) -> list[str]:
    """Every unmet requirement of ``spec``, as sentences; [] when it is compatible here (arguments:
    ``requirements``)."""
    return [r["problem"] for r in requirements(spec, **kwargs) if not r["met"]]


def _contains(wanted: Any, have: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return wanted.contains(Version(have), prereleases=True)
    except InvalidVersion:
        return False
