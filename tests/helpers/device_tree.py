"""Fake sysfs/dev trees under tmp_path, read through platform.device_root (honest: the same files
libedgetpu and the kernel expose)."""

from __future__ import annotations

from pathlib import Path

READY = ("18d1", "9302")  # USB Accelerator after its firmware is loaded
NEW = ("1a6e", "089a")  # before


def fake_tree(root: Path, pci: int = 0, usb_ready: int = 0, usb_new: int = 0, model: str | None = None,
              pci_nodes: bool = True, usb_nodes: bool = False) -> Path:
    """PCIe Edge TPUs (/sys/class/apex/apex_N + /dev/apex_N), USB ones (/sys/bus/usb/devices/2-N with
    idVendor/idProduct, busnum/devnum and, with usb_nodes, /dev/bus/usb/002/00N), a device-tree model."""
    for i in range(pci):
        (root / f"sys/class/apex/apex_{i}").mkdir(parents=True)
        if pci_nodes:
            (root / "dev").mkdir(exist_ok=True)
            (root / f"dev/apex_{i}").touch()
    for i, (vid, pid) in enumerate([READY] * usb_ready + [NEW] * usb_new):
        dev = root / f"sys/bus/usb/devices/2-{i + 1}"
        dev.mkdir(parents=True)
        (dev / "idVendor").write_text(vid + "\n")
        (dev / "idProduct").write_text(pid + "\n")
        if usb_nodes:
            (dev / "busnum").write_text("2\n")
            (dev / "devnum").write_text(f"{i + 3}\n")
            node = root / f"dev/bus/usb/002/{i + 3:03d}"
            node.parent.mkdir(parents=True, exist_ok=True)
            node.touch()
    if model:
        (root / "proc/device-tree").mkdir(parents=True)
        (root / "proc/device-tree/model").write_bytes(model.encode() + b"\x00")
    return root
