"""Config-time checks of the backends, registered as registry "check" entries (plugins/builtins.py)
and run by config validation as ``check(config, issues)``: the enabled names and their kinds (a
plugin's kind counts when that plugin would load here), device spec grammar, delegate
options that libedgetpu would ignore, the interpreter choice, model segments. No hardware touched.
Model files and the platform's devices: backends/platform_checks.py."""

from __future__ import annotations

from typing import Any

from ..config.keys import backend_key, stream_models
from ..errors import ConfigError, Issues
from ..interpreter import CHOICES, interpreter_in_use
from ..plugins.discovery import discover, entry_points, selected
from ..plugins.registry import new_registry
from .models import load_model
from .specs import EXPECTED, indexed, spec_list, spec_problems


def check(config: Any, issues: Issues) -> None:
    """backends.enabled: each a known backend of a kind that exists (built-in or a loadable plugin's)."""
    known = new_registry().names("backend")
    names = config.backends.enabled
    if not names:
        issues.add("backends.enabled", "no backend enabled", value=[], expected="at least one backend name")
    for name in names:
        key = "backends.enabled"
        try:
            spec = config.backend_spec(name)
        except KeyError:
            issues.add(key, f"no backend named {name!r}", value=name,
                       expected="auto, cpu, edgetpu_single, edgetpu_multi or a key of backends.extra")
            continue
        if spec.kind not in known and spec.kind not in loadable_backend_kinds(config):
            k = f"{backend_key(config, name)}.kind"
            issues.add(k, f"unknown backend kind {spec.kind!r}{backend_kind_hint(config, spec.kind)}",
                       value=spec.kind,
                       expected=" | ".join(known) + " (or a plugin's kind)")
        check_backend_spec(config, name, spec, issues)


def _backend_plugins(config: Any) -> list[dict[str, Any]]:
    """Discovery records of the backend plugins ``config`` selects (imported, not activated)."""
    mode, allow = selected(config)
    if mode == "none":
        return []
    choice = config.run.interpreter
    return discover("coral_inference.backends", allow=allow, interpreter=choice,
                    interpreter_info=lambda: interpreter_in_use(choice))


def loadable_backend_kinds(config: Any) -> set[str]:
    """Backend kinds that selected, compatible backend plugins will register; validation asks this
    before the init step has loaded any plugin."""
    return {r["spec"].backend_kind for r in _backend_plugins(config)
            if r["status"] == "ok" and r["spec"].backend is not None}


def backend_kind_hint(config: Any, kind: str) -> str:
    """Why a plugin's backend kind is not available here ('' when no installed plugin names it)."""
    if selected(config)[0] == "none":  # import nothing: entry-point names only
        eps = [ep for ep in entry_points("coral_inference.backends") if ep.name == kind]
        return (f"; the installed plugin {kind!r} may provide it, but plugins.mode=none loads no plugin"
                if eps else "")
    for r in _backend_plugins(config):
        spec = r.get("spec")
        if r["name"] == kind or (spec is not None and spec.backend_kind == kind):
            dist = r.get("distribution") or {}
            return (f"; plugin {r['name']} ({dist.get('name')} {dist.get('version')}) provides it but is "
                    f"{r['status']} here: {r['reason']}")
    return ""


def check_backend_spec(config: Any, name: str, spec: Any, issues: Issues) -> None:
    """One enabled backend's section (its pool sizes' ranges: config/ranges.py)."""
    if spec.kind in ("edgetpu", "auto"):
        check_devices(config, name, spec, issues)


def check_devices(config: Any, name: str, spec: Any, issues: Issues) -> None:
    """The libedgetpu device grammar (backends/specs.py); delegate options need an indexed spec."""
    k = f"{backend_key(config, name)}.devices"
    devices = list(spec.devices) if isinstance(spec.devices, tuple) else spec.devices
    problems = spec_problems(devices)
    for value, message in problems:
        issues.add(k, message, value=value, expected=EXPECTED)
    specs = spec_list(devices) if not problems else []
    if spec.delegate_options and specs is not None and len(specs) == 1 and not indexed(specs[0]):
        ko = f"{backend_key(config, name)}.delegate_options"
        issues.add(ko, f"libedgetpu ignores delegate options with the unindexed device spec {specs[0]!r}",
                   value=dict(spec.delegate_options), severity="warning",
                   expected=f"an indexed device spec such as usb:0 or pci:0 in {k}")


def check_interpreter(config: Any, issues: Issues) -> None:
    value = config.run.interpreter
    if value not in CHOICES:
        issues.add("run.interpreter", f"unknown interpreter {value!r}", value=value, expected=" | ".join(CHOICES))


def check_segments(config: Any, issues: Issues) -> None:
    """model.segments and every models.<name>.segments: each an existing TFLite file; only Edge TPU
    backends run them."""
    entries = [("model", config.model)] + [(f"models.{n}", m) for n, m in dict(getattr(config, "models", None) or {}).items()]
    for prefix, model in entries:
        segments = list(model.segments)
        for i, path in enumerate(segments):
            key = f"{prefix}.segments[{i}]"
            try:
                load_model(path, key)
            except ConfigError as exc:
                issues.add(key, exc.message.partition(": ")[2] or exc.message, value=path,
                           expected="an existing .tflite segment file")
        if len(segments) == 1:
            issues.add(f"{prefix}.segments", "a single segment is just a model", value=segments, severity="warning",
                       expected=f"two or more segments, or {prefix}.path alone")