"""Edge TPU discovery under platform.device_root (default "/").

PCIe: /sys/class/apex/apex_N with its node /dev/apex_N. USB: /sys/bus/usb/devices/*/idVendor:idProduct,
1a6e:089a before the firmware is loaded ("uninitialized"), 18d1:9302 after ("ready"); its node is
/dev/bus/usb/BBB/DDD from the busnum/devnum files. With the real root and Google's pycoral importable,
pycoral.utils.edgetpu.list_edge_tpus() is asked instead (a fake tree is always read natively).

States: ready | uninitialized (USB, firmware not loaded yet: libedgetpu loads it on first open) |
missing-node (sysfs entry without its /dev node: driver not loaded, or a container without the device
mapped) | no-permission (the node exists but this user may not open it: udev rules / group).
USB indices can shift when a stick initialises, so each device also carries its path.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

USB_IDS = {("1a6e", "089a"): "uninitialized", ("18d1", "9302"): "ready"}
FIELDS = ("type", "index", "path", "state", "node")


@dataclass(frozen=True)
class EdgeTpuDevice:
    type: str  # "pci" | "usb"
    index: int  # index within its type, as libedgetpu counts it
    path: str  # sysfs path (native) or pycoral's path
    state: str  # ready | uninitialized | missing-node | no-permission
    node: str | None = None  # the /dev node libedgetpu opens (relative to the real root)

    @property
    def spec(self) -> str:
        return f"{self.type}:{self.index}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "spec": self.spec}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EdgeTpuDevice":
        return cls(**{k: data.get(k) for k in FIELDS})


def read_attr(path: Path) -> str | None:
    """A sysfs attribute's text, None when absent or unreadable; a FIFO, device or oversized file in its
    place is a FileProblem (exit 2) naming it and platform.device_root, never a blocking read."""
    from ..files import FileProblem, read_bytes_checked

    try:
        data = read_bytes_checked(path, "sysfs file", "sysfs", key="platform.device_root")
    except FileProblem as exc:
        if exc.reason == "not found" or exc.reason.startswith("cannot open"):
            return None
        raise
    return data.decode("utf-8", "replace").strip()


def _node_state(node: Path, ready: str = "ready") -> str:
    if not node.exists():
        return "missing-node"
    if not os.access(node, os.R_OK | os.W_OK):
        return "no-permission"
    return ready


def _apex_number(entry: Path) -> int:
    suffix = entry.name.partition("_")[2]
    return int(suffix) if suffix.isdigit() else 1 << 30


def _pci(root: Path) -> list[EdgeTpuDevice]:
    apex = root / "sys/class/apex"
    entries = sorted(apex.glob("apex_*"), key=lambda p: (_apex_number(p), p.name)) if apex.is_dir() else []
    found = []
    for index, entry in enumerate(entries):
        node = f"/dev/{entry.name}"
        found.append(EdgeTpuDevice("pci", index, f"/sys/class/apex/{entry.name}",
                                   _node_state(root / node.lstrip("/")), node))
    return found


def _usb(root: Path) -> list[EdgeTpuDevice]:
    base = root / "sys/bus/usb/devices"
    found = []
    for entry in sorted(base.iterdir()) if base.is_dir() else []:
        ids = (read_attr(entry / "idVendor"), read_attr(entry / "idProduct"))
        if ids not in USB_IDS:
            continue
        bus, dev = read_attr(entry / "busnum"), read_attr(entry / "devnum")
        node = f"/dev/bus/usb/{int(bus):03d}/{int(dev):03d}" if bus and dev and bus.isdigit() and dev.isdigit() else None
        state = USB_IDS[ids]
        if node is not None:
            state = _node_state(root / node.lstrip("/"), ready=state)
        found.append(EdgeTpuDevice("usb", len(found), f"/sys/bus/usb/devices/{entry.name}", state, node))
    return found


def _pycoral() -> list[EdgeTpuDevice] | None:
    try:
        from pycoral.utils.edgetpu import list_edge_tpus  # Google's pycoral, only if installed
    except Exception:
        return None
    counts: dict[str, int] = {}
    out = []
    for item in list_edge_tpus():
        kind = item.get("type", "?")
        index = counts.get(kind, 0)
        counts[kind] = index + 1
        path = item.get("path", "")
        out.append(EdgeTpuDevice(kind, index, path, "ready", path if path.startswith("/dev/") else None))
    return out


def is_real_root(device_root: str) -> bool:
    return device_root in ("", "/")


def discover_with_source(device_root: str = "/") -> tuple[list[EdgeTpuDevice], str]:
    """(devices, source) where source is "pycoral" or "native"; never raises for a missing tree."""
    if is_real_root(device_root):
        listed = _pycoral()
        if listed is not None:
            return listed, "pycoral"
    return native(device_root), "native"


def native(device_root: str = "/") -> list[EdgeTpuDevice]:
    """The Edge TPUs in the tree under ``device_root`` (sysfs and /dev read here, never pycoral's list)."""
    root = Path(device_root or "/")
    return _pci(root) + _usb(root)


def discover(device_root: str = "/") -> list[EdgeTpuDevice]:
    """All Edge TPUs visible under ``device_root``, PCIe first then USB."""
    return discover_with_source(device_root)[0]


def describe(found: list[EdgeTpuDevice]) -> str:
    """One line for messages: 'pci:0 (/sys/class/apex/apex_0, ready), usb:0 (…)' or 'none'."""
    if not found:
        return "none"
    return ", ".join(f"{d.spec} ({d.path}, {d.state})" for d in found)
