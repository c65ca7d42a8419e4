"""Version requirements of a plugin (PEP 440, with `packaging`); every unmet one is reported.

- ``min_core_version`` against coral_inference's version;
- ``min_inference_version`` against the TFLite interpreter package in use (run.interpreter):
  a version for whichever it is, or a mapping module -> version (``{"ai_edge_litert": "1.2"}``;
  a module missing from the mapping is unsupported);
- ``requires``: distribution -> specifier, against the installed distributions.

Pre-releases compare as PEP 440 says (0.2.0rc1 < 0.2), and an installed pre-release satisfies a
specifier range it lies in (numpy 2.1.0rc1 satisfies ``>=1.26``).
"""

from __future__ import annotations

from typing import Any, Callable


def installed_version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def interpreter_in_use(choice: str) -> tuple[str | None, str | None, str | None]:
    """(module, version, problem) of the interpreter run.interpreter=choice picks here."""
    from ..backends.interpreter import get_provider
    from ..errors import CoralError

    try:
        provider = get_provider(choice)
    except CoralError as exc:
        return None, None, exc.message
    return provider.module, provider.version, None


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


def check_requirements(spec: Any, *, interpreter: str | None = "auto", core_version: str | None = None,
                       version_of: Callable[[str], str | None] = installed_version,
                       interpreter_info: tuple[str | None, str | None, str | None] | None = None) -> list[str]:
    """Every unmet requirement of ``spec``, as sentences; [] when it is compatible here."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from .. import __version__

    unmet: list[str] = []
    if spec.min_core_version:
        problem = _at_least("coral_inference", core_version or __version__, spec.min_core_version)
        if problem:
            unmet.append(problem)
    if spec.min_inference_version and interpreter is not None:
        module, have, missing = interpreter_info or interpreter_in_use(interpreter)
        minimum = spec.min_inference_version
        if module is None:
            unmet.append(f"needs a TFLite interpreter, but none is usable ({missing})")
        elif isinstance(minimum, dict):
            if module not in minimum:
                unmet.append(f"supports the interpreters {', '.join(sorted(minimum))}, not {module} "
                             f"(run.interpreter={interpreter})")
            else:
                problem = _at_least(module, have, minimum[module])
                if problem:
                    unmet.append(problem)
        else:
            problem = _at_least(f"interpreter {module}", have, minimum)
            if problem:
                unmet.append(problem)
    for dist, specifier in (spec.requires or {}).items():
        try:
            wanted = SpecifierSet(str(specifier or ""))
        except InvalidSpecifier:
            unmet.append(f"requires {dist}: {specifier!r} is not a PEP 440 specifier")
            continue
        have = version_of(dist)
        if have is None:
            unmet.append(f"requires {dist}{specifier}, which is not installed")
        elif not _contains(wanted, have):
            unmet.append(f"requires {dist}{specifier} (installed: {have})")
    return unmet


def _contains(wanted: Any, have: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return wanted.contains(Version(have), prereleases=True)
    except InvalidVersion:
        return False
