"""Installed distribution versions and version specifiers, cheaply (ground: imports nothing of ours).

``version(name)`` reads the version from the ``<name>-<version>.dist-info`` folder names on sys.path
(one listing per folder per process, first match on sys.path wins, as importlib.metadata does) and asks
importlib.metadata only for what that cannot answer (an .egg-info install). ``satisfies(version, spec)``
compares plain release numbers (``4.12.0.88`` against ``>=4.5,<6``) itself and leaves everything else
(pre-releases, wildcards, ``~=``, local versions) to ``packaging``. Start-up reads a dozen versions; the
metadata scans and ``packaging.specifiers`` (whose import pulls ``packaging.tags``, ``sysconfig``…) cost
more than the rest of the version work together.
"""

from __future__ import annotations

import operator
import os
import re
import sys

_LISTINGS: dict[str, tuple[dict[str, str], set[str]]] = {}
_RELEASE = re.compile(r"^\d+(\.\d+)*$")
_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)*)\s*$")
_OPS = {">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt,
        "<": operator.lt}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _listing(folder: str) -> tuple[dict[str, str], set[str]]:
    """(normalized name -> version of its .dist-info, normalized names of .egg-info) in one folder."""
    if folder not in _LISTINGS:
        dist_info: dict[str, str] = {}
        egg_info: set[str] = set()
        try:
            names = os.listdir(folder or ".")
        except OSError:  # a zip file or a missing folder on sys.path
            names = []
        for entry in names:
            if entry.endswith(".dist-info"):
                name, _, ver = entry[: -len(".dist-info")].partition("-")
                dist_info.setdefault(normalize(name), ver)
            elif entry.endswith(".egg-info"):
                egg_info.add(normalize(entry[: -len(".egg-info")].partition("-")[0]))
        _LISTINGS[folder] = (dist_info, egg_info)
    return _LISTINGS[folder]


def version(name: str) -> str | None:
    """The installed version of distribution ``name``, or None when it is not installed."""
    key = normalize(name)
    for folder in sys.path:
        dist_info, egg_info = _listing(folder)
        if key in dist_info and dist_info[key]:
            return dist_info[key]
        if key in egg_info or key in dist_info:  # not readable from the folder name: ask the metadata
            break
    else:
        return None
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as metadata_version

    try:
        return metadata_version(name)
    except PackageNotFoundError:
        return None


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def _padded(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n = max(len(a), len(b))
    return a + (0,) * (n - len(a)), b + (0,) * (n - len(b))


def satisfies(found: str, spec: str) -> bool:
    """Whether version ``found`` meets PEP 440 specifier ``spec`` (pre-releases allowed)."""
    clauses = [c for c in spec.split(",") if c.strip()]
    matches = [_CLAUSE.match(c) for c in clauses]
    if _RELEASE.match(found.strip()) and all(matches):
        have = _release(found.strip())
        return all(_OPS[m.group(1)](*_padded(have, _release(m.group(2)))) for m in matches)
    from packaging.specifiers import SpecifierSet

    return found in SpecifierSet(spec, prereleases=True)
