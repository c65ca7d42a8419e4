"""Config-time checks of models and devices against the backends and the platform, registered as
registry "check" entries (plugins/builtins.py): model files exist and are TFLite; backends do not
need more Edge TPUs, or another device type, than the platform has; no device is claimed twice; an
Edge-TPU-compiled model that may fall back to the CPU has its CPU twin. No hardware touched."""

from __future__ import annotations

from typing import Any

from ..config.keys import backend_key, model_key, stream_models, unused_models
from ..errors import Issues
from ..files import FileProblem, read_bytes_checked, read_text_checked
from .models import EDGETPU_CUSTOM_OP, is_tflite
from .selftest import BUILTIN_PREFIX
from .specs import SPEC_RE, spec_list


def check_model(config: Any, issues: Issues) -> None:
    """Every model the run loads (``model`` and each ``models.<name>`` an enabled stream runs,
    config/keys.py): its path and CPU twin exist and are TFLite, its labels file is readable; each problem
    names the model's own key. The problems of a ``models`` entry no enabled stream runs are warnings."""
    for use in stream_models(config):
        _check_model_files(use.key, use.model, issues)
    for name in unused_models(config):
        _check_model_files(model_key(name), config.models[name], issues, "warning")


def _check_model_files(prefix: str, model: Any, issues: Issues, severity: str = "error") -> None:
    for field in ("path", "cpu_path"):
        key, value = f"{prefix}.{field}", getattr(model, field)
        if not value or value.startswith(BUILTIN_PREFIX):
            continue
        try:  # a regular file of bounded size: a FIFO or device never blocks here
            head = read_bytes_checked(value, "model file", "model", key=key, head=8)
        except FileProblem as exc:
            found = exc.reason != "not found"
            issues.add(key, exc.reason if found else "model file not found", value=value, severity=severity,
                       expected=exc.expected if found else "an existing .tflite file")
            continue
        if not is_tflite(head):
            issues.add(key, "not a TFLite model (no TFL3 identifier)", value=value, severity=severity,
                       expected="a .tflite flatbuffer")
    labels = model.labels
    if labels:
        key = f"{prefix}.labels"
        try:  # a regular UTF-8 file of at most 1 MiB
            read_text_checked(labels, "labels file", "labels", key=key)
        except FileProblem as exc:
            found = exc.reason != "not found"
            issues.add(key, exc.reason if found else "labels file not found", value=labels, severity=severity,
                       expected="an existing UTF-8 text file of at most 1 MiB, one label per line (or 'N label' lines)")


def _edgetpu_backends(config: Any) -> list[tuple[str, Any, list[str] | None]]:
    """(name, spec, device specs or None for 'all') of each active Edge TPU backend."""
    out = []
    for name in config.active_backends():
        try:
            spec = config.backend_spec(name)
        except KeyError:
            continue
        if spec.kind == "edgetpu":
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
        key = f"{backend_key(config, name)}.devices"
        need = max(spec.min_devices, 1) if specs is None else len(specs)
        total += need
        for item in specs or []:
            kind = item.split(":")[0]
            if kind and kind not in types:
                issues.add(key, f"platform {platform.name} has no {kind} Edge TPU", value=item,
                           expected=f"a device type of platform.edgetpu_types {sorted(types)}")
        if need > platform.max_devices:
            k = f"{backend_key(config, name)}.min_devices" if specs is None else key
            falls_back = _fallback(config, name) == "cpu"
            issues.add(k, f"backend {name} needs {need} Edge TPU(s); platform {platform.name} holds at most "
                       f"{platform.max_devices}" + ("; it will always fall back to the CPU" if falls_back else ""),
                       value=spec.min_devices if specs is None else list(specs),
                       expected=f"at most platform.max_devices={platform.max_devices} "
                       "(or another platform / backends option)", severity="warning" if falls_back else "error")
    backends = _edgetpu_backends(config)
    if len(backends) > 1 and total > platform.max_devices:
        issues.add("backends.enabled", f"the Edge TPU backends need {total} devices together; platform "
                   f"{platform.name} holds at most {platform.max_devices}", value=[b[0] for b in backends],
                   expected="fewer Edge TPU backends")


def check_devices_claimed(config: Any, issues: Issues) -> None:
    """The same Edge TPU claimed by two backends (or twice by one): a delegate per device only."""
    claims: dict[str, str] = {}
    backends = _edgetpu_backends(config)
    for name, _spec, specs in backends:
        key = f"{backend_key(config, name)}.devices"
        if specs is None:
            if len(backends) > 1:
                issues.add(key, f"backend {name} claims every Edge TPU ('all') while other Edge TPU backends "
                           "are enabled", value="all",
                           expected="explicit device specs per backend, e.g. usb:0 and pci:0")
            continue
        for item in specs:
            indexed = item.rpartition(":")[2].isdigit()
            if item in claims and (indexed or claims[item] != name):
                issues.add(key, f"device {item or '(first found)'!r} already claimed by backend {claims[item]}",
                           value=item, expected="each Edge TPU used by one backend")
            claims.setdefault(item, name)


def check_model_fallback(config: Any, issues: Issues) -> None:
    """An Edge-TPU-compiled model cannot run on the CPU: on a CPU backend, or one that may fall back to
    the CPU, it needs its CPU twin (``<model key>.cpu_path``), for every model the run loads."""
    for use in stream_models(config):
        path = use.model.path
        on_cpu = [n for n in use.backends if _on_cpu(config, n)]
        if not on_cpu or use.model.cpu_path or not path or path.startswith(BUILTIN_PREFIX):
            continue
        try:
            compiled = EDGETPU_CUSTOM_OP in read_bytes_checked(path, "model file", "model", key=f"{use.key}.path")
        except FileProblem:
            continue  # check_model reports a missing or unreadable file
        if compiled:
            users = f" (run by streams {', '.join(use.streams)})" if use.streams and use.key != "model" else ""
            issues.add(f"{use.key}.cpu_path", f"model {path!r}{users} is Edge-TPU-compiled and backend(s) "
                       f"{', '.join(on_cpu)} run (or may fall back) on the CPU, which cannot run it", value=None,
                       source=issues.source(f"{use.key}.path"),
                       expected=f"{use.key}.cpu_path: the CPU twin of the model (or fallback=error, or an Edge TPU "
                       "backend)")


def _on_cpu(config: Any, name: str) -> bool:
    """A backend that runs on the CPU, or may fall back to it."""
    try:
        spec = config.backend_spec(name)
    except KeyError:
        return False
    return spec.kind == "cpu" or getattr(spec.fallback, "value", spec.fallback) == "cpu"


def _fallback(config: Any, name: str) -> str | None:
    try:
        value = config.backend_spec(name).fallback
    except KeyError:
        return None
    return getattr(value, "value", value)
