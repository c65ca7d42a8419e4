"""coral-run's inputs checked before Hydra reads them (Hydra opens config files and parses overrides
itself, with no limits): every YAML file of --config-dir / --config-path goes through the checked
loader (a regular file of bounded size, UTF-8, limited depth, aliases and integers), and overrides
whose integers Python cannot convert (more than 4300 digits) are refused. Each problem names the file
or the override; all are reported together (exit 2)."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ConfigError, Issues

_DIR_FLAGS = ("--config-dir", "-cd", "--config-path", "-cp")
_LONG_DIGITS = re.compile(r"\d{4000,}")


def config_folders(argv: list[str]) -> list[str]:
    """The folders named by --config-dir / --config-path (and -cd / -cp) in argv."""
    folders, args = [], list(argv)
    for i, arg in enumerate(args):
        if arg in _DIR_FLAGS and i + 1 < len(args):
            folders.append(args[i + 1])
        elif arg.startswith(tuple(f + "=" for f in _DIR_FLAGS)):
            folders.append(arg.split("=", 1)[1])
    return [f for f in folders if not f.startswith("pkg://")]


def check(argv: list[str], overrides: list[str]) -> None:
    """Raise ConfigError (exit 2) naming every config file or override Hydra could not read safely."""
    from ..files import check_config_folder

    issues = Issues()
    for folder in config_folders(argv):
        if Path(folder).is_dir():  # else Hydra says it in a full sentence
            issues.items += check_config_folder(folder)
    for override in overrides:
        if _LONG_DIGITS.search(override):
            issues.add(override.partition("=")[0].lstrip("+~"), "an integer too long to read",
                       value=override[:40] + "…", source="command line",
                       expected="an integer of at most 4300 digits (the key's range is checked after)")
    if issues.errors:
        raise ConfigError("coral-run could not read its inputs safely: "
                          f"{len(issues.errors)} problem{'s' if len(issues.errors) > 1 else ''}",
                          problems=issues.errors)
