"""The files a (backend, model) pair stands on, each with its key and sha256: the model file, its CPU twin,
its labels and its segments, as configured (``model`` or ``models.<name>``). The summary records them per
entry of ``backends`` and ``coral-runtime audit verify`` recomputes every one (audit.py)."""

from __future__ import annotations

from typing import Any

from .selftest import BUILTIN_PREFIX, SELFTEST, build_selftest_model

ROLES = ("path", "cpu_path", "labels")  # then segments[i]


def _sha256(path: str, kind: str) -> tuple[str | None, str | None]:
    """(sha256, None) or (None, why it could not be read)."""
    import hashlib

    if path.startswith(BUILTIN_PREFIX):
        return (hashlib.sha256(build_selftest_model()).hexdigest(), None) if path == SELFTEST else (None, "unknown built-in")
    from ..files import FileProblem, sha256_checked

    try:
        return sha256_checked(path, "labels file" if kind == "labels" else "model file", kind), None
    except FileProblem as exc:
        return None, exc.reason


def model_files(model: Any, prefix: str, ran: str | None = None) -> list[dict[str, Any]]:
    """[{key, role, path, sha256, ran}] of every file ``model`` (a ModelConfig at ``prefix``) names;
    ``ran``: the path that actually ran (the CPU twin when the backend fell back)."""
    items = [(f"{prefix}.{role}", role, getattr(model, role, None)) for role in ROLES]
    items += [(f"{prefix}.segments[{i}]", "segment", p) for i, p in enumerate(getattr(model, "segments", ()) or ())]
    out = []
    for key, role, path in items:
        if not path:
            continue
        digest, problem = _sha256(str(path), "labels" if role == "labels" else "model")
        entry = {"key": key, "role": role, "path": str(path), "sha256": digest}
        if problem:
            entry["problem"] = problem
        if role in ("path", "cpu_path"):
            entry["ran"] = ran == str(path) if ran is not None else None
        out.append(entry)
    return out
