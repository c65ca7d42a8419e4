"""Semantic validation beyond types: every problem at once, each naming key, value, source and
what is expected. Never touches hardware."""

from __future__ import annotations

from typing import Any

from ..errors import Issues


def _source(config: Any, key: str) -> str | None:
    """Where the value at ``key`` came from; for a part of a list or dict value (``a.b[0].c``)
    the nearest key that has a recorded source."""
    import re

    sources = getattr(config, "sources", None) or {}
    entry = sources.get(key)
    while entry is None and re.search(r"(\[\d+\]|\.[^.\[]+)$", key):
        key = re.sub(r"(\[\d+\]|\.[^.\[]+)$", "", key)
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
    from ..backends.models import is_tflite
    from ..backends.selftest import BUILTIN_PREFIX
    from ..files import FileProblem, read_bytes_checked, read_text_checked

    for key in ("model.path", "model.cpu_path"):
        value = config.model.path if key == "model.path" else config.model.cpu_path
        if not value or value.startswith(BUILTIN_PREFIX):
            continue
        try:  # a regular file of bounded size: a FIFO or device never blocks here
            head = read_bytes_checked(value, "model file", "model", key=key, head=8)
        except FileProblem as exc:
            found = exc.reason != "not found"
            issues.add(key, exc.reason if found else "model file not found", value=value,
                       source=_source(config, key), expected=exc.expected if found else "an existing .tflite file")
            continue
        if not is_tflite(head):
            issues.add(key, "not a TFLite model (no TFL3 identifier)", value=value,
                       source=_source(config, key), expected="a .tflite flatbuffer")
    labels = config.model.labels
    if labels:
        try:  # a regular UTF-8 file of at most 1 MiB
            read_text_checked(labels, "labels file", "labels", key="model.labels")
        except FileProblem as exc:
            found = exc.reason != "not found"
            issues.add("model.labels", exc.reason if found else "labels file not found", value=labels,
                       source=_source(config, "model.labels"),
                       expected="an existing UTF-8 text file of at most 1 MiB, one label per line (or 'N label' lines)")


def check_interpreter(config: Any, issues: Issues) -> None:
    from ..backends.checks import check_interpreter as check

    check(config, issues, _source)


def check_webrtc(config: Any, issues: Issues) -> None:
    if not config.services.webrtc.enabled:
        return
    from ..services.webrtc import check_servers

    def add(key, message, value, expected):
        issues.add(key, message, value=value, source=_source(config, key), expected=expected)

    check_servers(config.services.webrtc.ice_servers, add)


def check_pipeline(config: Any, issues: Issues) -> None:
    from ..pipeline.checks import check

    check(config, issues, _source)


def check_segments(config: Any, issues: Issues) -> None:
    from ..backends.checks import check_segments as check

    check(config, issues, _source)


def _edgetpu_backends(config: Any) -> list[tuple[str, Any, list[str] | None]]:
    """(name, spec, device specs or None for 'all') of each active Edge TPU backend."""
    out = []
    for name in config.active_backends():
        try:
            spec = config.backend_spec(name)
        except KeyError:
            continue
        if spec.kind == "edgetpu":
            from ..backends.specs import SPEC_RE, spec_list
            specs = spec_list(list(spec.devices) if isinstance(spec.devices, tuple) else spec.devices)
            out.append((name, spec, None if specs is None else [s for s in specs if SPEC_RE.match(s)]))
    return out


def check_platform(config: Any, issues: Issues) -> None:
    """Backends that need more Edge TPUs, or a device type, than the platform has. platform=auto
    is only known at run time: checked there (runtime.platform), not here."""
    platform = config.platform
    if platform.name == "auto":
        return
    types = set(platform.edgetpu_types)
    total = 0
    for name, spec, specs in _edgetpu_backends(config):
        key = f"backends.{name}.devices"
        need = max(spec.min_devices, 1) if specs is None else len(specs)
        total += need
        for item in specs or []:
            kind = item.split(":")[0]
            if kind and kind not in types:
                issues.add(key, f"platform {platform.name} has no {kind} Edge TPU", value=item,
                           source=_source(config, key),
                           expected=f"a device type of platform.edgetpu_types {sorted(types)}")
        if need > platform.max_devices:
            k = f"backends.{name}.min_devices" if specs is None else key
            falls_back = _fallback(config, name) == "cpu"
            issues.add(k, f"backend {name} needs {need} Edge TPU(s); platform {platform.name} holds at most "
                       f"{platform.max_devices}" + ("; it will always fall back to the CPU" if falls_back else ""),
                       value=spec.min_devices if specs is None else list(specs), source=_source(config, k),
                       expected=f"at most platform.max_devices={platform.max_devices} "
                       "(or another platform / backends option)", severity="warning" if falls_back else "error")
    backends = _edgetpu_backends(config)
    if len(backends) > 1 and total > platform.max_devices:
        issues.add("backends.enabled", f"the Edge TPU backends need {total} devices together; platform "
                   f"{platform.name} holds at most {platform.max_devices}", value=[b[0] for b in backends],
                   source=_source(config, "backends.enabled"), expected="fewer Edge TPU backends")


def check_devices_claimed(config: Any, issues: Issues) -> None:
    """The same Edge TPU claimed by two backends (or twice by one): a delegate per device only."""
    claims: dict[str, str] = {}
    backends = _edgetpu_backends(config)
    for name, _spec, specs in backends:
        key = f"backends.{name}.devices"
        if specs is None:
            if len(backends) > 1:
                issues.add(key, f"backend {name} claims every Edge TPU ('all') while other Edge TPU backends "
                           "are enabled", value="all", source=_source(config, key),
                           expected="explicit device specs per backend, e.g. usb:0 and pci:0")
            continue
        for item in specs:
            indexed = item.rpartition(":")[2].isdigit()
            if item in claims and (indexed or claims[item] != name):
                issues.add(key, f"device {item or '(first found)'!r} already claimed by backend {claims[item]}",
                           value=item, source=_source(config, key), expected="each Edge TPU used by one backend")
            claims.setdefault(item, name)


def check_model_fallback(config: Any, issues: Issues) -> None:
    """An Edge-TPU-compiled model cannot run on the CPU: fallback=cpu needs model.cpu_path."""
    from pathlib import Path

    from ..backends.models import EDGETPU_CUSTOM_OP
    from ..backends.selftest import BUILTIN_PREFIX

    path = config.model.path
    falling = [n for n in config.active_backends() if _fallback(config, n) == "cpu"]
    if not falling or config.model.cpu_path or not path or path.startswith(BUILTIN_PREFIX):
        return
    from ..files import FileProblem, read_bytes_checked

    try:
        compiled = EDGETPU_CUSTOM_OP in read_bytes_checked(path, "model file", "model", key="model.path")
    except FileProblem:
        return  # check_model reports a missing or unreadable file
    if compiled:
        key = "model.cpu_path"
        issues.add(key, f"model {path!r} is Edge-TPU-compiled and backend(s) {', '.join(falling)} may fall back "
                   "to the CPU, which cannot run it", value=None, source=_source(config, "model.path"),
                   expected="model.cpu_path: the CPU twin of the model (or fallback=error)")


def _fallback(config: Any, name: str) -> str | None:
    try:
        value = config.backend_spec(name).fallback
    except KeyError:
        return None
    return getattr(value, "value", value)


def check_plugins_allowlist(config: Any, issues: Issues) -> None:
    """Names in plugins.allowlist that no installed plugin has (skipped when discovery is absent)."""
    mode = getattr(config.plugins.mode, "value", config.plugins.mode)
    if mode != "allowlist" or not config.plugins.allowlist:
        return
    known = _discovered_plugin_names()
    if known is None:
        return
    import difflib

    for name in config.plugins.allowlist:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            issues.add("plugins.allowlist", "no installed plugin has this name"
                       + (f"; did you mean {close[0]!r}?" if close else ""), value=name,
                       source=_source(config, "plugins.allowlist"),
                       expected=f"one of {sorted(known)} (coral-runtime plugins list)")


def _discovered_plugin_names() -> set[str] | None:
    """Entry-point names of the plugin groups (read from metadata; no plugin is imported)."""
    try:
        from ..runtime.plugin_discovery import entry_points
        from ..runtime.plugins import GROUPS
    except ImportError:  # discovery not there: nothing to check against
        return None
    try:
        return {ep.name for group in GROUPS for ep in entry_points(group)}
    except Exception:  # discovery trouble is reported by the plugin step, not here
        return None


def check_secrets(config: Any, issues: Issues) -> None:
    """A literal secret written in a file or on the command line: warn, recommend ${oc.env:...}."""
    from ..summary import REDACTED

    for key, chain in (getattr(config, "sources", None) or {}).items():
        last = chain[-1] if isinstance(chain, (list, tuple)) and chain else None
        if isinstance(last, dict) and last.get("literal_secret"):
            issues.add(key, "a literal secret in the configuration", value=REDACTED, source=last.get("source"),
                       expected=f"a reference such as ${{oc.env:{key.replace('.', '_').upper()}}} "
                       "(or the CORAL_ environment variable)", severity="warning")


CHECKS = [check_backends, check_model, check_platform, check_devices_claimed, check_model_fallback,
          check_plugins_allowlist, check_secrets]
CHECKS.append(check_interpreter)
CHECKS.append(check_webrtc)
CHECKS.append(check_pipeline)
CHECKS.append(check_segments)

from ..runtime.bench import check_bench  # noqa: E402  (run.mode=bench settings)

CHECKS.append(check_bench)


def validate(config: Any, registry: Any = None) -> Issues:
    """Every problem at once: the checks above, then every check in the registry (kind "check")."""
    from ..plugins.registry import new_registry

    issues = Issues()
    for check in CHECKS:
        check(config, issues)
    for _name, check in (registry or new_registry()).items("check"):
        check(config, issues)
    return issues
