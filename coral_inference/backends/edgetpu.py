"""The Edge TPU backend (and `auto`: the Edge TPU when one is found, else the CPU).

Device specs follow libedgetpu: "" (first found), ":N" (Nth of any type), "usb", "usb:N", "pci",
"pci:N"; pools take "all" or a list of specs.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import BackendError, ConfigError
from .base import InterpreterBackend
from .cpu import cpu_model
from .devices import EdgeTpuDevice, discover
from .interpreter import get_provider
from .models import load_model

SPEC_RE = re.compile(r"^(?:(usb|pci)(?::(\d+))?|:(\d+)|)$")


def parse_spec(spec: str) -> tuple[str | None, int | None]:
    """'' -> (None, None); ':1' -> (None, 1); 'usb' -> ('usb', None); 'pci:0' -> ('pci', 0)."""
    match = SPEC_RE.match(spec)
    if not match:
        raise ConfigError(
            f"device spec {spec!r} is not valid; expected '', ':N', 'usb', 'usb:N', 'pci' or 'pci:N'"
        )
    kind, kind_index, any_index = match.groups()
    index = kind_index if kind_index is not None else any_index
    return kind, int(index) if index is not None else None


def spec_list(devices: Any) -> list[str] | None:
    """The configured device specs as a list, or None for 'all'."""
    if devices is None:
        return [""]
    if isinstance(devices, str):
        return None if devices == "all" else [devices]
    return [str(d) for d in devices]


def select(found: list[EdgeTpuDevice], specs: list[str] | None) -> list[EdgeTpuDevice]:
    """Pick devices for the specs (None: all). Raises BackendError naming what is missing."""
    if specs is None:
        return list(found)
    chosen: list[EdgeTpuDevice] = []
    for spec in specs:
        kind, index = parse_spec(spec)
        pool = [d for d in found if kind is None or d.type == kind]
        pool = [d for d in pool if d not in chosen] if index is None else pool
        if index is None:
            if not pool:
                raise BackendError(f"no free Edge TPU for device spec {spec!r}")
            chosen.append(pool[0])
        else:
            if index >= len(pool):
                raise BackendError(f"device spec {spec!r}: only {len(pool)} matching Edge TPU(s) found")
            chosen.append(pool[index])
    return chosen


def _describe_found(found: list[EdgeTpuDevice]) -> str:
    if not found:
        return "none"
    return ", ".join(f"{d.spec} ({d.path}, {d.state})" for d in found)


class EdgeTpuBackend(InterpreterBackend):
    kind = "edgetpu"

    def initialize(self):
        specs = spec_list(self.spec.devices)
        expected = max(self.spec.min_devices, 1) if specs is None else len(specs)
        found = [EdgeTpuDevice(**{k: d[k] for k in ("type", "index", "path", "state")})
                 for d in self.context.devices]
        try:
            if len(found) < expected:
                raise BackendError(self._not_found_message(expected, found))
            chosen = select(found, specs)
            self._start_edgetpu(chosen)
        except BackendError as exc:
            if self.spec.fallback.value != "cpu":
                raise
            return self._fall_back(str(exc), expected_tpu=not (self.kind == "auto" and not found))
        return self.state

    def _not_found_message(self, expected: int, found: list[EdgeTpuDevice]) -> str:
        platform = self.context.platform
        return (
            f"backends.{self.name}: expected {'at least ' if self.spec.devices == 'all' else ''}{expected} "
            f"Edge TPU(s) (platform {platform.get('name')}: "
            f"{', '.join(platform.get('edgetpu_types', [])) or 'no Edge TPU types'}), found "
            f"{_describe_found(found)} under platform.device_root={platform.get('device_root')!r} "
            "(looked for /sys/class/apex/apex_N and USB ids "
            "1a6e:089a / 18d1:9302). Next: install the Edge TPU runtime (libedgetpu1-std) and connect the device, "
            f"check platform.device_root, or set backends.{self.name}.fallback=cpu to run on the CPU."
        )

    def _start_edgetpu(self, chosen: list[EdgeTpuDevice]) -> None:
        config = self.context.config
        provider = get_provider(config.run.interpreter)
        model = load_model(config.model.path, "model.path")
        library = config.platform.delegate_library
        options = dict(self.spec.delegate_options)

        def delegates_for(i: int) -> list[Any]:
            device = chosen[i]
            try:
                return [provider.load_delegate(library, {**options, "device": device.spec})]
            except (OSError, ValueError, RuntimeError) as exc:
                raise BackendError(self._delegate_message(library, device, exc)) from exc

        self._start_workers(provider, model, len(chosen), delegates_for)
        self.state.devices = [d.to_dict() for d in chosen]
        self.state.device = ",".join(d.spec for d in chosen)
        self.state.delegate = {"library": library, "clock": config.platform.clock.value, "options": options}
        self.state.status = "ok"

    def _delegate_message(self, library: str, device: EdgeTpuDevice, exc: Exception) -> str:
        text = str(exc)
        if "cannot open shared object" in text or "not found" in text.lower() and library in text:
            return (
                f"cannot load the Edge TPU delegate {library!r}: the Edge TPU runtime is not installed "
                "(Debian/Ubuntu: add the Coral apt repository and 'apt-get install libedgetpu1-std'), or set "
                "platform.delegate_library to its full path"
            )
        return (
            f"the Edge TPU delegate {library!r} failed to open device {device.spec} ({device.path}): {text}. "
            "Check that no other process holds it, that this user may use it (udev rules; group 'apex' or "
            "'plugdev'), and in a container that the device is mapped (--device /dev/apex_0 or /dev/bus/usb)"
        )

    def _fall_back(self, reason: str, expected_tpu: bool = True):
        config = self.context.config
        provider = get_provider(config.run.interpreter)
        model, key = cpu_model(config)
        self.workers.clear()
        self._start_workers(provider, model, max(1, self.spec.workers), key=key)
        self.state.device = "cpu"
        self.state.fallback = {"policy": "cpu", "taken": True, "reason": reason, "model_key": key}
        if expected_tpu:
            self.state.status = "degraded"
            self.state.reason = f"running on the CPU with {key}: {reason}"
        else:
            self.state.status = "ok"
            self.state.reason = "no Edge TPU found; backends=auto runs on the CPU"
        return self.state


class AutoBackend(EdgeTpuBackend):
    """The Edge TPU if any is found, else the CPU (that is simply ok, not degraded)."""

    kind = "auto"

    def initialize(self):
        if not self.context.devices:
            return self._fall_back("no Edge TPU found", expected_tpu=False)
        return super().initialize()
