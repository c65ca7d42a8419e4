"""File names the configuration gives: each a plain name inside the run folder (registry "check")."""

from __future__ import annotations

from typing import Any

NAME_KEYS = ("summary.filename",)


def check(config: Any, issues: Any) -> None:
    """summary.filename: no '/', not empty, not hidden ('.', '..', '.hydra'), not a file the run writes
    itself (results.jsonl, masks, recordings, a job log …); exit 2 naming the key."""
    from ..errors import ConfigError
    from ..files import run_file_name

    for key in NAME_KEYS:
        node: Any = config
        for part in key.split("."):
            node = getattr(node, part, None)
        try:
            run_file_name(node, key)
        except ConfigError as exc:
            for problem in exc.problems:
                issues.add(key, problem.message, value=problem.value,
                           expected=problem.expected)
