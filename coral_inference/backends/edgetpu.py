"""The Edge TPU backend (and `auto`: the Edge TPU when one is found, else the CPU).

Steps: count the Edge TPUs discovered ("expected N, found M" before any interpreter is built), pick the
devices for the configured specs (backends/specs.py), load one delegate per device (backends/delegate.py)
and build one interpreter per device in a pool. On failure, ``fallback: cpu`` runs the CPU model
(``model.cpu_path`` or a CPU ``model.path``) instead; the state says so and why.

Status: ``degraded`` when the run uses something other than what the config asked for (the CPU instead of
the Edge TPU, or the CPU twin instead of the Edge TPU model); ``backends=auto`` on a machine without an
Edge TPU running a CPU model is simply ``ok``.

``model.segments`` (the files of ``edgetpu_compiler --num_segments=N``) run one per Edge TPU in a
SegmentPipeline (backends/segments.py) instead of the replicated-model pool.
"""

from __future__ import annotations

from typing import Any

from ..config.keys import backend_key
from ..errors import BackendError, BoardError
from . import delegate as delegate_step
from .base import InterpreterBackend
from .cpu import cpu_labels, cpu_model
from .devices import EdgeTpuDevice, describe
from .interpreter import get_provider
from .models import load_model
from .specs import SPEC_RE, indexed, parse_spec, select, spec_list  # noqa: F401  (public names)


class EdgeTpuBackend(InterpreterBackend):
    kind = "edgetpu"

    def initialize(self):
        specs = spec_list(self.spec.devices)
        segments = list(self.model.segments)
        expected = max(self.spec.min_devices, 1, len(segments)) if specs is None else len(specs)
        found = [EdgeTpuDevice.from_dict(d) for d in self.context.devices]
        self.state.fallback = {"policy": self.spec.fallback.value, "taken": False, "reason": None}
        try:
            if len(found) < expected:
                raise BoardError(self._not_found_message(expected, found))
            chosen = select(found, specs)
            if segments:
                chosen = self._one_per_segment(chosen, segments, specs)
            self._start_edgetpu(chosen, specs)
        except BackendError as exc:
            if self.spec.fallback.value != "cpu":
                raise
            return self._fall_back(exc.message)
        return self.state

    def _not_found_message(self, expected: int, found: list[EdgeTpuDevice]) -> str:
        platform = self.context.platform
        at_least = "at least " if self.spec.devices == "all" else ""
        # Once fallback=cpu is set (and about to be taken) the last way out is already in use.
        way_out = ("" if self.spec.fallback.value == "cpu"
                   else f", or set {backend_key(self.context.config, self.name)}.fallback=cpu to run on the CPU")
        return (
            f"{backend_key(self.context.config, self.name)}: expected {at_least}{expected} Edge TPU(s) (platform {platform.get('name')}: "
            f"{', '.join(platform.get('edgetpu_types', [])) or 'no Edge TPU types'}), found "
            f"{f'{len(found)}: ' + describe(found) if found else 'none'} under platform.device_root={platform.get('device_root')!r} "
            "(looked for /sys/class/apex/apex_N and USB ids 1a6e:089a / 18d1:9302). Next: connect the device and "
            "install the Edge TPU runtime (libedgetpu1-std; PCIe also needs gasket-dkms), check "
            f"'coral-runtime devices' and platform.device_root{way_out}."
        )

    def _one_per_segment(self, chosen: list[EdgeTpuDevice], segments: list[str], specs) -> list[EdgeTpuDevice]:
        """model.segments: one Edge TPU per segment (with devices: all, the first N found)."""
        if specs is None and len(chosen) >= len(segments):
            return chosen[:len(segments)]
        if len(chosen) != len(segments):
            raise BackendError(
                f"{backend_key(self.context.config, self.name)}.devices selects {len(chosen)} Edge TPU(s) but "
                f"{self.model_key}.segments has "
                f"{len(segments)} segments; expected one Edge TPU per segment"
            )
        return chosen

    def _device_strings(self, chosen: list[EdgeTpuDevice], specs: list[str] | None) -> list[str]:
        """What goes into the delegate's `device` option: a single configured spec verbatim (libedgetpu
        resolves it), resolved indexed specs for a pool (so two interpreters never share a device)."""
        if specs is not None and len(specs) == 1:
            return specs
        return [d.spec for d in chosen]

    def _start_edgetpu(self, chosen: list[EdgeTpuDevice], specs: list[str] | None) -> None:
        config = self.context.config
        provider = get_provider(config.run.interpreter)
        segments = list(self.model.segments)
        mk = self.model_key
        model = ([load_model(path, f"{mk}.segments[{i}]") for i, path in enumerate(segments)] if segments
                 else load_model(self.model.path, f"{mk}.path"))
        library = config.platform.delegate_library
        options = {str(k): str(v) for k, v in self.spec.delegate_options.items()}
        strings = self._device_strings(chosen, specs)
        key = backend_key(config, self.name)
        for device_string in strings:
            if options and not indexed(device_string):
                self.state.warnings.append(
                    f"{key}.delegate_options {sorted(options)} are ignored by libedgetpu with the device spec "
                    f"{device_string!r} (no index); use an indexed spec such as usb:0 or pci:0"
                )

        def delegates_for(i: int) -> list[Any]:
            passed = {**options, "device": strings[i]} if strings[i] else dict(options)
            return [delegate_step.load(provider, library, chosen[i], passed, key)]

        # A pool runs with the devices that started, if at least min_devices did (degraded, naming the rest).
        min_ok = None if segments else min(max(self.spec.min_devices, 1), len(chosen))
        failed = self._start_workers(provider, model, [d.spec for d in chosen], delegates_for,
                                     key=f"{mk}.segments" if segments else f"{mk}.path", library=library,
                                     min_ok=min_ok)
        if failed:
            down = {i for i, _, _ in failed}
            chosen = [d for i, d in enumerate(chosen) if i not in down]
            strings = [s for i, s in enumerate(strings) if i not in down]
        if not segments and not model.builtin and not model.edgetpu_compiled:
            self.state.warnings.append(
                f"{mk}.path: {model.path!r} is not compiled for the Edge TPU (no edgetpu-custom-op): the delegate "
                "loaded but runs none of it, every op runs on the CPU. Compile it with edgetpu_compiler, or use "
                "backends=cpu"
            )
        self.state.devices = [d.to_dict() for d in chosen]
        self.state.device = ",".join(d.spec for d in chosen)
        self.state.delegate = {
            "library": library,
            "clock": config.platform.clock.value,
            "installed": delegate_step.installed_runtime(),
            "options": options,
            "device_option": strings,
        }
        self.state.status = "ok"
        if failed:
            self.state.status = "degraded"
            self.state.reason = (
                f"{key}: running on {len(chosen)} of {len(chosen) + len(failed)} Edge TPU(s) "
                f"(min_devices={min_ok}); " + "; ".join(f"{label} failed: {message}" for _, label, message in failed))
            self.state.warnings.append(self.state.reason)

    def _fall_back(self, reason: str, found_none: bool = False):
        """Run the CPU model instead; degraded unless this is `auto` without any Edge TPU running the
        configured (CPU) model.path."""
        config = self.context.config
        provider = get_provider(config.run.interpreter)
        model, key = cpu_model(self.model)
        self._start_workers(provider, model, cpu_labels(self.spec.workers), key=key)
        self.state.device = "cpu"
        self.state.devices = []
        self.state.delegate = None
        self.state.fallback = {"policy": self.spec.fallback.value, "taken": True, "reason": reason, "model_key": key}
        if found_none and key == f"{self.model_key}.path":
            self.state.status = "ok"
            self.state.reason = f"no Edge TPU found; backends=auto runs {key} on the CPU"
        else:
            self.state.status = "degraded"
            self.state.reason = f"running {key} on the CPU instead of the Edge TPU: {reason}"
        return self.state


class AutoBackend(EdgeTpuBackend):
    """The Edge TPU if any is found, else the CPU (ok for a CPU model; degraded for a CPU twin)."""

    kind = "auto"

    def initialize(self):
        if not self.context.devices:
            return self._fall_back("no Edge TPU found", found_none=True)
        return super().initialize()
