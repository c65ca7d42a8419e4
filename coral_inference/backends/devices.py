"""Edge TPU discovery under platform.device_root (default "/").

PCIe: /sys/class/apex/apex_N with /dev/apex_N. USB: /sys/bus/usb/devices/*/idVendor:idProduct,
1a6e:089a before the firmware is loaded, 18d1:9302 after. With the real root and Google's pycoral
importable, pycoral.utils.edgetpu.list_edge_tpus() is asked first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

USB_IDS = {("1a6e", "089a"): "uninitialized", ("18d1", "9302"): "ready"}


@dataclass(frozen=True)
class EdgeTpuDevice:
    type: str  # "pci" | "usb"
    index: int  # index within its type, as libedgetpu counts it
    path: str
    state: str  # ready | uninitialized | missing-node

    @property
    def spec(self) -> str:
        return f"{self.type}:{self.index}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "spec": self.spec}


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _pci(root: Path) -> list[EdgeTpuDevice]:
    found = []
    apex = root / "sys/class/apex"
    names = sorted(apex.glob("apex_*"), key=lambda p: int(p.name.split("_")[1]) if p.name.split("_")[1].isdigit() else 0)
    for index, entry in enumerate(names):
        node = root / "dev" / entry.name
        found.append(EdgeTpuDevice("pci", index, f"/dev/{entry.name}", "ready" if node.exists() else "missing-node"))
    return found


def _usb(root: Path) -> list[EdgeTpuDevice]:
    found = []
    base = root / "sys/bus/usb/devices"
    for entry in sorted(base.glob("*")) if base.is_dir() else []:
        ids = (_read(entry / "idVendor"), _read(entry / "idProduct"))
        if ids in USB_IDS:
            found.append(EdgeTpuDevice("usb", len(found), f"/sys/bus/usb/devices/{entry.name}", USB_IDS[ids]))
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
        out.append(EdgeTpuDevice(kind, index, item.get("path", ""), "ready"))
    return out


def discover(device_root: str = "/") -> list[EdgeTpuDevice]:
    """All Edge TPUs visible under ``device_root``; never raises for a missing tree."""
    if device_root in ("", "/"):
        listed = _pycoral()
        if listed is not None:
            return listed
    root = Path(device_root or "/")
    return _pci(root) + _usb(root)
