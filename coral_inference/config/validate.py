"""Semantic validation beyond types: every problem at once, each naming key, value, source and
what is expected. Never touches hardware."""

from __future__ import annotations

from typing import Any

from ..errors import Issues


def _source(config: Any, key: str) -> str | None:
    sources = getattr(config, "sources", None) or {}
    entry = sources.get(key)
    if isinstance(entry, dict):
        return entry.get("source")
    if isinstance(entry, (list, tuple)) and entry:
        last = entry[-1]
        return last.get("source") if isinstance(last, dict) else str(last)
    return entry


def check_backends(config: Any, issues: Issues) -> None:
    from ..backends.checks import check_backend_spec
    from ..backends.registry import known_kinds
    from ..runtime.plugins import backend_kind_hint, loadable_backend_kinds

    names = config.backends.enabled
    if not names:
        issues.add("backends.enabled", "no backend enabled", value=[], expected="at least one backend name")
    for name in names:
        key = "backends.enabled"
        try:
            spec = config.backend_spec(name)
        except KeyError:
            issues.add(key, f"no backend named {name!r}", value=name, source=_source(config, key),
                       expected="auto, cpu, edgetpu_single, edgetpu_multi or a key of backends.extra")
            continue
        if spec.kind not in known_kinds() and spec.kind not in loadable_backend_kinds(config):
            k = f"backends.{name}.kind"
            issues.add(k, f"unknown backend kind {spec.kind!r}{backend_kind_hint(config, spec.kind)}",
                       value=spec.kind, source=_source(config, k),
                       expected=" | ".join(known_kinds()) + " (or a plugin's kind)")
        check_backend_spec(config, name, spec, issues, _source)


def check_model(config: Any, issues: Issues) -> None:
    from pathlib import Path

    from ..backends.models import is_tflite
    from ..backends.selftest import BUILTIN_PREFIX

    for key in ("model.path", "model.cpu_path"):
        value = config.model.path if key == "model.path" else config.model.cpu_path
        if not value or value.startswith(BUILTIN_PREFIX):
            continue
        path = Path(value).expanduser()
        if not path.is_file():
            issues.add(key, "model file not found", value=value, source=_source(config, key),
                       expected="an existing .tflite file")
            continue
        with open(path, "rb") as handle:
            head = handle.read(8)
        if not is_tflite(head):
            issues.add(key, "not a TFLite model (no TFL3 identifier)", value=value,
                       source=_source(config, key), expected="a .tflite flatbuffer")


def check_interpreter(config: Any, issues: Issues) -> None:
    from ..backends.checks import check_interpreter as check

    check(config, issues, _source)


def check_webrtc(config: Any, issues: Issues) -> None:
    from ..services.webrtc import check_servers

    if not config.services.webrtc.enabled:
        return

    def add(key, message, value, expected):
        issues.add(key, message, value=value, source=_source(config, key), expected=expected)

    check_servers(config.services.webrtc.ice_servers, add)


def check_pipeline(config: Any, issues: Issues) -> None:
    from ..pipeline.checks import check

    check(config, issues, _source)


def check_segments(config: Any, issues: Issues) -> None:
    from ..backends.checks import check_segments as check

    check(config, issues, _source)


CHECKS = [check_backends, check_model]
CHECKS.append(check_interpreter)
CHECKS.append(check_webrtc)
CHECKS.append(check_pipeline)
CHECKS.append(check_segments)


def validate(config: Any) -> Issues:
    issues = Issues()
    for check in CHECKS:
        check(config, issues)
    return issues
