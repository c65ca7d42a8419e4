"""Config-time checks of backend specs (called from config/validate.py): device spec grammar, pool
sizes, delegate options that libedgetpu would ignore, the interpreter choice. No hardware touched."""

from __future__ import annotations

from typing import Any, Callable

from ..errors import Issues

Source = Callable[[Any, str], "str | None"]


def check_backend_spec(config: Any, name: str, spec: Any, issues: Issues, source: Source) -> None:
    for field, low in (("workers", 1), ("min_devices", 0), ("num_threads", 1)):
        value = getattr(spec, field, None)
        if value is not None and value < low:
            k = f"backends.{name}.{field}"
            issues.add(k, f"{field} must be at least {low}", value=value, source=source(config, k),
                       expected=f"an integer >= {low}" + (" or null" if field == "num_threads" else ""))
    if spec.kind in ("edgetpu", "auto"):
        check_devices(config, name, spec, issues, source)


def check_devices(config: Any, name: str, spec: Any, issues: Issues, source: Source) -> None:
    """The libedgetpu device grammar (backends/specs.py); delegate options need an indexed spec."""
    from .specs import EXPECTED, indexed, spec_list, spec_problems

    k = f"backends.{name}.devices"
    devices = list(spec.devices) if isinstance(spec.devices, tuple) else spec.devices
    problems = spec_problems(devices)
    for value, message in problems:
        issues.add(k, message, value=value, source=source(config, k), expected=EXPECTED)
    specs = spec_list(devices) if not problems else []
    if spec.delegate_options and specs is not None and len(specs) == 1 and not indexed(specs[0]):
        ko = f"backends.{name}.delegate_options"
        issues.add(ko, f"libedgetpu ignores delegate options with the unindexed device spec {specs[0]!r}",
                   value=dict(spec.delegate_options), source=source(config, ko), severity="warning",
                   expected=f"an indexed device spec such as usb:0 or pci:0 in {k}")


def check_interpreter(config: Any, issues: Issues, source: Source) -> None:
    from .interpreter import CHOICES

    value = config.run.interpreter
    if value not in CHOICES:
        issues.add("run.interpreter", f"unknown interpreter {value!r}", value=value,
                   source=source(config, "run.interpreter"), expected=" | ".join(CHOICES))


def check_segments(config: Any, issues: Issues, source: Source) -> None:
    """model.segments: each an existing TFLite file; only Edge TPU backends run them."""
    from ..errors import ConfigError
    from .models import load_model

    segments = list(config.model.segments)
    for i, path in enumerate(segments):
        key = f"model.segments[{i}]"
        try:
            load_model(path, key)
        except ConfigError as exc:
            issues.add(key, exc.message.partition(": ")[2] or exc.message, value=path,
                       source=source(config, "model.segments"), expected="an existing .tflite segment file")
    if len(segments) == 1:
        issues.add("model.segments", "a single segment is just a model", value=segments, severity="warning",
                   source=source(config, "model.segments"), expected="two or more segments, or model.path alone")
