"""The PCIe driver: the apex and gasket kernel modules loaded, the kernel version (the gasket-dkms of the
Coral apt repository does not build on kernels >= 6.5), and the kernel's page size (the driver wants 4 KiB
pages; the Raspberry Pi 5's default kernel uses 16 KiB). Only where a PCIe Edge TPU is present."""

from __future__ import annotations

import re

from .board import Board
from .fixes import GASKET_SOURCE, INSTALL_GASKET, PAGE_SIZE, PAGE_SIZE_PI5
from .result import Result, error, info, ok, skipped

NEW_KERNEL = (6, 5)  # gasket-dkms 1.0-18 from packages.cloud.google.com fails to build from here on


def kernel_version(release: str | None) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", release or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def check(board: Board) -> list[Result]:
    if not board.has_pcie:
        why = "no PCIe Edge TPU found: the apex driver is not needed"
        return [skipped(name, why) for name in ("driver.modules", "driver.kernel", "driver.page_size")]
    return [_modules(board), _kernel(board), _page_size(board)]


def _modules(board: Board) -> Result:
    missing = [m for m in ("apex", "gasket") if m not in board.modules]
    release = board.kernel_release
    new = (kernel_version(release) or (0, 0)) >= NEW_KERNEL
    dkms = board.dpkg("gasket-dkms")
    data = {"missing": missing, "kernel": release, "gasket_dkms": dkms[0][1] if dkms else None}
    if not missing:
        return ok("driver.modules", "apex and gasket are loaded", data=data)
    found = f"kernel module(s) {' and '.join(missing)} not loaded (kernel {release or 'unknown'})"
    if dkms and new:
        found += (f"; gasket-dkms {dkms[0][1]} is installed, but its DKMS build most likely failed on this kernel "
                  "(see /var/lib/dkms/gasket/1.0/build/make.log)")
        return error("driver.modules", found, GASKET_SOURCE, data=data)
    if dkms:
        return error("driver.modules", found + f"; gasket-dkms {dkms[0][1]} is installed",
                     "sudo modprobe apex (then 'sudo dmesg | grep -i apex' if it fails), or reboot", data=data)
    if new:
        return error("driver.modules", found + "; gasket-dkms is not installed, and the packaged one does not "
                     "build on kernels >= 6.5", GASKET_SOURCE, data=data)
    return error("driver.modules", found + "; gasket-dkms is not installed", INSTALL_GASKET, data=data)


def _kernel(board: Board) -> Result:
    release = board.kernel_release
    version = kernel_version(release)
    if version is None:
        return skipped("driver.kernel", "the kernel release is unknown (no proc/sys/kernel/osrelease or proc/version)")
    data = {"release": release}
    if version >= NEW_KERNEL:
        return info("driver.kernel", f"kernel {release}: gasket-dkms from the Coral apt repository does not build "
                    "on kernels >= 6.5; a driver built from source (google/gasket-driver) does", data=data)
    return ok("driver.kernel", f"kernel {release}: the packaged gasket-dkms builds on it", data=data)


def _page_size(board: Board) -> Result:
    size = board.page_size
    if size is None:
        return skipped("driver.page_size", "the kernel's page size is unknown (a fake root without proc/self/smaps)")
    data = {"page_size": size, "model": board.model, "kernel": board.kernel_release}
    if size == 4096:
        return ok("driver.page_size", "the kernel uses 4 KiB pages", data=data)
    pi5 = "Raspberry Pi 5" in (board.model or "") or (board.kernel_release or "").endswith("2712")
    return error("driver.page_size", f"the kernel uses {size // 1024} KiB pages"
                 + (" (Raspberry Pi 5's kernel_2712)" if pi5 else ""), PAGE_SIZE_PI5 if pi5 else PAGE_SIZE, data=data)
