"""Folder names made from overrides never hold a secret.

Hydra's usual sweep folder pattern, ``hydra.sweep.subdir=${hydra.job.override_dirname}`` (or a run folder
``hydra.run.dir=out/${hydra.job.override_dirname}``), joins the job's overrides into a folder name, values
included: ``services.web.token=abc`` or a camera URL with its password would become a folder on disk. Hydra
computes that name while it composes each job (before any callback runs), leaving out the keys listed in
``hydra.job.config.override_dirname.exclude_keys``. So coral-run adds to that list, before Hydra parses the
command line, every override key whose text the redaction policy (redaction.py) changes: a secret-named key
(``x.token``), a value holding URL credentials or a value seen under a secret key. The user's own
``exclude_keys`` override is kept and extended. Two sweep jobs that differ only in a secret therefore get the
same folder name: add ``${hydra.job.num}`` to the pattern to keep them apart.
"""

from __future__ import annotations

from typing import Any

EXCLUDE_KEY = "hydra.job.config.override_dirname.exclude_keys"


def _key_of(override: str) -> str | None:
    """The key (or group) of an override as Hydra compares it with exclude_keys; None: not an override."""
    try:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        return OverridesParser.create().parse_override(override).key_or_group
    except Exception:  # Hydra reports a malformed override itself, later
        key, sep, _ = override.partition("=")
        return key.lstrip("+~").split("@")[0] if sep else None


def secret_override_keys(overrides: list[str]) -> list[str]:
    """The keys of the task overrides whose text holds a secret (what must not reach a folder name)."""
    from ..redaction import is_secret_key, redact_text

    keys: list[str] = []
    for override in overrides:
        key = _key_of(override)
        if not key or key.startswith("hydra.") or key.startswith("hydra/") or key == "hydra":
            continue
        if (is_secret_key(key) or redact_text(override) != override) and key not in keys:
            keys.append(key)
    return keys


def _quoted(key: str) -> str:
    return "'" + key.replace("\\", "\\\\").replace("'", "\\'") + "'"


def exclude_secrets(argv: list[str], overrides: list[str], insert: Any) -> list[str]:
    """``argv`` with the secret keys of ``overrides`` added to exclude_keys: the user's override of it
    extended in place, or a new one placed by ``insert(argv, [override])``."""
    keys = secret_override_keys(overrides)
    if not keys:
        return argv
    out = list(argv)
    for i, arg in enumerate(out):
        name, sep, value = arg.partition("=")
        if sep and name.lstrip("+") == EXCLUDE_KEY:
            try:
                from hydra.core.override_parser.overrides_parser import OverridesParser

                given = OverridesParser.create().parse_override(arg).value()
                given = [str(k) for k in (given if isinstance(given, list) else [given])]
            except Exception:
                return argv  # malformed: Hydra names it
            merged = given + [k for k in keys if k not in given]
            out[i] = f"{name}=[{','.join(_quoted(k) for k in merged)}]"
            return out
    return insert(out, [f"{EXCLUDE_KEY}=[{','.join(_quoted(k) for k in keys)}]"])
