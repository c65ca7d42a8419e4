"""Platform resolution: the configured platform, or platform=auto detected under device_root.

Detection reads the shipped conf/platform/*.yaml options and checks their `detect` rules in order
of `detect.priority`: device-tree model text (/proc/device-tree/model) and counts of discovered
PCIe / USB Edge TPUs. The first option whose rules all hold wins; `cpu` (no rules) is last.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

from .. import CONF_MODULE


def read_device_tree_model(device_root: str) -> str | None:
    from ..files import FileProblem, read_bytes_checked

    path = Path(device_root or "/") / "proc/device-tree/model"
    try:  # a regular file of at most 4 KiB: a FIFO or device there is exit 2 naming it, never a blocking read
        data = read_bytes_checked(path, "device-tree file", "sysfs", key="platform.device_root")
    except FileProblem as exc:
        if exc.reason == "not found" or exc.reason.startswith("cannot open"):
            return None
        raise
    return data.rstrip(b"\x00\n").decode("utf-8", "replace")


def shipped_platforms() -> dict[str, dict[str, Any]]:
    """name -> option dict, from the conf/platform folder inside the package (a copy: callers may change it)."""
    return copy.deepcopy(_read_shipped())


@functools.lru_cache(maxsize=1)  # read once per process (the forked runner reads them while it waits)
def _read_shipped() -> dict[str, dict[str, Any]]:
    from importlib.resources import files

    import yaml  # plain data files: PyYAML (already loaded by Hydra) reads them faster than OmegaConf

    out = {}
    folder = files(CONF_MODULE) / "platform"
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml") and entry.name != "auto.yaml":
            data = yaml.load(entry.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            out[data.get("name", entry.name[:-5])] = data
    return out


def _matches(detect: dict[str, Any], model_text: str | None, pci: int, usb: int) -> tuple[bool, str]:
    names = detect.get("device_tree_model") or []
    min_pci, min_usb = detect.get("min_pci", 0), detect.get("min_usb", 0)
    if not names and not min_pci and not min_usb:
        return False, "no detection rules"
    reasons = []
    if names:
        hit = next((n for n in names if model_text and n in model_text), None)
        if hit is None:
            return False, "device-tree model does not match"
        reasons.append(f"device-tree model {model_text!r} contains {hit!r}")
    if pci < min_pci:
        return False, f"{pci} PCIe Edge TPU(s) < {min_pci}"
    if usb < min_usb:
        return False, f"{usb} USB Edge TPU(s) < {min_usb}"
    if min_pci:
        reasons.append(f"{pci} PCIe Edge TPU(s) found")
    if min_usb:
        reasons.append(f"{usb} USB Edge TPU(s) found")
    return True, "; ".join(reasons)


def detect(device_root: str, devices: list[dict[str, Any]]) -> tuple[str, dict[str, Any], str]:
    """Return (name, option dict, reason) of the detected platform."""
    model_text = read_device_tree_model(device_root)
    pci = sum(1 for d in devices if d["type"] == "pci")
    usb = sum(1 for d in devices if d["type"] == "usb")
    options = shipped_platforms()
    ordered = sorted(options.items(), key=lambda kv: (kv[1].get("detect", {}).get("priority", 100), kv[0]))
    for name, option in ordered:
        ok, why = _matches(option.get("detect", {}), model_text, pci, usb)
        if ok:
            return name, option, why
    seen = f"device-tree model {model_text!r}" if model_text else "no device-tree model"
    return "cpu", options.get("cpu", {"name": "cpu"}), f"no known board ({seen}) and no Edge TPU found"


def resolve(config: Any, devices: list[dict[str, Any]]) -> dict[str, Any]:
    """The platform record for the context and the summary."""
    spec = config.platform
    record: dict[str, Any] = {
        "configured": spec.name,
        "device_root": spec.device_root,
        "edgetpu_types": list(spec.edgetpu_types),
        "max_devices": spec.max_devices,
        "delegate_library": spec.delegate_library,
        "clock": spec.clock.value if hasattr(spec.clock, "value") else spec.clock,
        "cpu_cores": spec.cpu_cores,
    }
    if spec.name == "auto":
        name, option, reason = detect(spec.device_root, devices)
        record.update(
            name=name,
            detected_by="auto",
            reason=reason,
            edgetpu_types=list(option.get("edgetpu_types", [])),
            max_devices=option.get("max_devices", 0),
            cpu_cores=option.get("cpu_cores"),
        )
    else:
        record.update(name=spec.name, detected_by="config", reason=f"platform={spec.name} chosen in the config")
    if record["cpu_cores"] is None:
        import os

        record["cpu_cores"] = os.cpu_count()
    return record
