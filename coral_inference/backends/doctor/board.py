"""What coral-runtime doctor reads, in one place: the tree under ``platform.device_root`` (sysfs, /dev,
/proc, /etc, dpkg's database, the libraries) and the few facts of this process that no tree holds (its
user, the installed Python distributions, LD_LIBRARY_PATH). Each such fact is an input with the real
value as its default, so a test gives a fake board all of them and nothing is installed to simulate one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Mapping

from ...files import FileProblem, read_bytes_checked
from ..devices import EdgeTpuDevice, is_real_root, native
from .users import Accounts, User

CORAL_PCI = ("0x1ac1", "0x089a")  # Global Unichip's Edge TPU (the apex driver's PCI id)
PYTHON_DISTRIBUTIONS = ("numpy", "tflite-runtime", "ai-edge-litert", "tensorflow")


def _installed(name: str) -> str | None:
    from ...dists import version

    return version(name)


@dataclass
class Board:
    device_root: str = "/"
    user: User | None = None  # None: this process's user
    library: str = "libedgetpu.so.1"  # platform.delegate_library
    clock: str = "std"  # platform.clock
    interpreter: str = "auto"  # run.interpreter
    platform: Mapping[str, Any] = field(default_factory=dict)  # platform.name, max_devices, edgetpu_types
    versions: Mapping[str, str | None] | Callable[[str], str | None] = _installed  # Python distributions
    library_path: tuple[str, ...] | None = None  # LD_LIBRARY_PATH (None: this process's, at the real root)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.user is None:
            self.user = self.accounts.current(self.real)
        if self.library_path is None:
            env = os.environ.get("LD_LIBRARY_PATH", "") if self.real else ""
            self.library_path = tuple(p for p in env.split(":") if p)

    def memo(self, key: str, compute: Callable[["Board"], Any]) -> Any:
        """``compute(self)`` once per board: facts one check finds and another uses (libedgetpu's version)."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        return self._memo[key]

    # --- the tree ---------------------------------------------------------------------------------
    @property
    def real(self) -> bool:
        return is_real_root(self.device_root)

    @property
    def root(self) -> Path:
        return Path(self.device_root or "/")

    def at(self, path: str) -> Path:
        """``path`` (as on the board, e.g. /dev/apex_0) under the device root."""
        return self.root / path.lstrip("/")

    def text(self, path: str | Path, kind: str = "sysfs") -> str | None:
        """A file's text (stripped), None when absent or unreadable. A FIFO or device in its place is a
        FileProblem (exit 2) naming it, never a blocking read."""
        full = path if isinstance(path, Path) else self.at(path)
        try:
            data = read_bytes_checked(full, "file under the device root", kind, key="platform.device_root")
        except FileProblem as exc:
            if exc.reason == "not found" or exc.reason.startswith(("cannot open", "a folder")):
                return None
            raise
        return data.decode("utf-8", "replace").strip()

    def stat(self, path: str) -> os.stat_result | None:
        try:
            return os.stat(self.at(path))
        except (OSError, ValueError):
            return None

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.text("/etc/passwd", "text"), self.text("/etc/group", "text"))

    # --- devices ------------------------------------------------------------------------------------
    @cached_property
    def devices(self) -> list[EdgeTpuDevice]:
        return native(self.device_root)

    def of_type(self, kind: str) -> list[EdgeTpuDevice]:
        return [d for d in self.devices if d.type == kind]

    @cached_property
    def pci_functions(self) -> list[str]:
        """PCI addresses of Coral Edge TPUs on the bus (there with or without the apex driver)."""
        base = self.at("/sys/bus/pci/devices")
        found = []
        for entry in sorted(base.iterdir()) if base.is_dir() else []:
            ids = (self.text(entry / "vendor"), self.text(entry / "device"))
            if tuple((i or "").lower() for i in ids) == CORAL_PCI:
                found.append(entry.name)
        return found

    @property
    def has_pcie(self) -> bool:
        return bool(self.pci_functions or self.of_type("pci"))

    # --- the kernel ---------------------------------------------------------------------------------
    @cached_property
    def modules(self) -> set[str]:
        """Loaded kernel modules: /proc/modules, and /sys/module/<name> (built-in drivers appear there)."""
        names = {line.split()[0] for line in (self.text("/proc/modules", "text") or "").splitlines() if line.split()}
        base = self.at("/sys/module")
        if base.is_dir():
            names |= {p.name for p in base.iterdir()}
        return names

    @cached_property
    def kernel_release(self) -> str | None:
        """proc/sys/kernel/osrelease, else the release in proc/version; os.uname() at the real root."""
        release = self.text("/proc/sys/kernel/osrelease")
        if not release:
            match = re.match(r"Linux version (\S+)", self.text("/proc/version") or "")
            release = match.group(1) if match else None
        if not release and self.real:
            release = os.uname().release
        return release

    @cached_property
    def page_size(self) -> int | None:
        """The kernel's page size in bytes: os.sysconf at the real root; a fake root tells it the way
        /proc does (``KernelPageSize:  16 kB`` in proc/self/smaps)."""
        if self.real:
            return os.sysconf("SC_PAGE_SIZE")
        match = re.search(r"^KernelPageSize:\s+(\d+)\s*kB", self.text("/proc/self/smaps", "text") or "", re.M)
        return int(match.group(1)) * 1024 if match else None

    @cached_property
    def model(self) -> str | None:
        """The device-tree model (Raspberry Pi 5, Coral Dev Board ...), if the board has one."""
        text = self.text("/proc/device-tree/model")
        return text.rstrip("\x00") if text else None

    # --- packages -----------------------------------------------------------------------------------
    def dpkg(self, prefix: str) -> list[tuple[str, str]]:
        """(package, version) installed per dpkg's database under the device root."""
        from ...versions import dpkg_installed

        return dpkg_installed(prefix, str(self.at("/var/lib/dpkg/status")))

    def dpkg_files(self, package: str) -> list[str]:
        """The files dpkg installed for ``package`` (var/lib/dpkg/info/<package>[:arch].list)."""
        info = self.at("/var/lib/dpkg/info")
        lists = sorted(info.glob(f"{package}.list")) + sorted(info.glob(f"{package}:*.list")) if info.is_dir() else []
        return [line for path in lists for line in (self.text(path, "text") or "").splitlines() if line]

    def version(self, distribution: str) -> str | None:
        """An installed Python distribution's version (the given table in tests)."""
        if callable(self.versions):
            return self.versions(distribution)
        return self.versions.get(distribution)
