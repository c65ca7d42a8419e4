"""Every use of Hydra's private API, in one place: the names of ``hydra._internal`` (and the private or
patched names of ``hydra.core.utils``) that coral_inference reads or replaces, listed in USED.

They were written for hydra-core 1.3.x (checked with 1.3.8): Hydra promises nothing about them, and they
carry the provenance of every key (config/provenance.py), the compose API's search path (config/primary.py),
coral-run's exit codes (cli/run.py), the run folder guard (cli/rundir.py) and the sweep report
(cli/callbacks.py). On another Hydra version the first use **fails** with one message (exit 2: the version
installed, the one needed, how to install it) instead of an AttributeError deep inside or, worse, a run
whose provenance or exit codes are silently wrong: a warning would let exactly that happen.
pyproject.toml pins hydra-core to 1.3, so only a forced install gets here.
"""

from __future__ import annotations

from typing import Any

WRITTEN_FOR = (1, 3)  # hydra-core major.minor these names were written against (checked with 1.3.8)
INSTALL = "pip install 'hydra-core>=1.3,<1.4'"

# "module:attribute" of every private Hydra name in use; get() and replace() take only these.
USED = (
    "hydra._internal.hydra:Hydra",  # the compose API's Hydra with our search path (config/primary.py)
    "hydra._internal.utils:create_automatic_config_search_path",  # ditto
    "hydra._internal.utils:run_and_report",  # replaced: coral-run's short messages and exit codes (cli/run.py)
    # wrapped: provenance reuses the defaults list Hydra composed from (config/provenance.py)
    "hydra._internal.config_loader_impl:ConfigLoaderImpl._compose_config_from_defaults_list",
    "hydra._internal.config_repository:CachingConfigRepository",  # provenance without a recording
    "hydra._internal.defaults_list:create_defaults_list",  # ditto
    "hydra._internal.core_plugins.basic_sweeper:BasicSweeper",  # the jobs of a sweep (cli/callbacks.py)
    "hydra.core.utils:_save_config",  # replaced: .hydra/ files written atomically (cli/rundir.py)
    "hydra.core.utils:configure_log",  # wrapped: no job log through a symlink (cli/rundir.py)
)

_CHECKED: list[str] = []


def version_problem(version: str) -> str | None:
    """Why Hydra ``version`` is not the one these names were written for (None when it is)."""
    from packaging.version import InvalidVersion, Version

    try:
        release = Version(version).release
    except InvalidVersion:
        return f"hydra-core reports the version {version!r}, which is not PEP 440"
    if tuple(release[:2]) != WRITTEN_FOR:
        return (f"hydra-core {version} is installed; coral_inference uses Hydra's private API "
                f"(hydra._internal …) as hydra-core {'.'.join(map(str, WRITTEN_FOR))}.x has it")
    return None


def _refuse(problem: str, version: str) -> None:
    from ..errors import ConfigError, Problem

    wanted = ".".join(map(str, WRITTEN_FOR))
    raise ConfigError(f"coral_inference needs hydra-core {wanted}.x",
                      problems=[Problem("hydra-core", problem, value=version, source="the installed packages",
                                        expected=f"hydra-core {wanted}.x: {INSTALL}")])


def check_version() -> None:
    """ConfigError (exit 2) unless the imported Hydra is the version USED was written for; once per process
    when it passes."""
    import hydra

    version = str(getattr(hydra, "__version__", "unknown"))
    if version in _CHECKED:
        return
    problem = version_problem(version)
    if problem:
        _refuse(problem, version)
    _CHECKED.append(version)


def _resolve(target: str) -> tuple[Any, str]:
    """(owner object, attribute name) of a USED target, the version checked first."""
    import importlib

    if target not in USED:
        raise ValueError(f"{target!r} is not in hydra_internal.USED: list every private Hydra name used there")
    check_version()
    module, _, attrs = target.partition(":")
    *path, name = attrs.split(".")
    try:
        owner = importlib.import_module(module)
        for part in path:
            owner = getattr(owner, part)
        getattr(owner, name)
    except (ImportError, AttributeError) as exc:
        import hydra

        _refuse(f"this hydra-core has no {target} ({type(exc).__name__}: {exc})", str(hydra.__version__))
    return owner, name


def get(target: str) -> Any:
    """The private Hydra object ``target`` names ("module:attr", one of USED)."""
    owner, name = _resolve(target)
    return getattr(owner, name)


def replace(target: str, new: Any) -> Any:
    """Put ``new`` where Hydra looks ``target`` up (one of USED); returns what was there."""
    owner, name = _resolve(target)
    previous = getattr(owner, name)
    setattr(owner, name, new)
    return previous
