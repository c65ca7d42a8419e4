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


# --- a whole board for coral-runtime doctor (backends/doctor/) ----------------------------------------
HEALTHY_VERSIONS = {"numpy": "1.26.4", "tflite-runtime": "2.5.0.post1"}  # Coral's own pair for libedgetpu 16.0
USER = ("pi", 4242)  # the account doctor judges (--user pi): never the test runner, root or not
APEX_GID, PLUGDEV_GID = 4300, 4301
LIB = "/usr/lib/aarch64-linux-gnu"


def _group_node(path: Path, gid: int, mode: int) -> int:
    """Give ``path`` group ``gid`` (root can) or the runner's own group (anyone can); returns the gid used."""
    import os

    try:
        os.chown(path, -1, gid)
    except PermissionError:
        gid = os.getgid()
    path.chmod(mode)
    return gid


def coral_board(root: Path, pci: int = 1, usb: int = 1, libedgetpu: str = "libedgetpu1-std 16.0",
                kernel: str = "6.1.0-rpi7-rpi-v8", page_kb: int = 4) -> Path:
    """A healthy board: ``pci`` PCIe Edge TPUs (on the PCI bus as 1ac1:089a, bound by apex, /dev/apex_N in
    group apex 0660, temperature below the trip points), ``usb`` ready USB Accelerators on USB 3 (node in group
    plugdev 0660), apex and gasket loaded, the udev rules, user pi in both groups, libedgetpu from dpkg (its
    file list, the library with the delegate plugin symbol, the ld.so.conf folder), a 4 KiB-page kernel.
    Tests break one thing at a time."""
    fake_tree(root, pci=pci, usb_ready=usb, usb_nodes=True)
    (root / "etc/udev/rules.d").mkdir(parents=True)
    gids = {}
    for i in range(pci):
        fn = root / f"sys/bus/pci/devices/0000:0{i + 1}:00.0"
        fn.mkdir(parents=True)
        (fn / "vendor").write_text("0x1ac1\n")
        (fn / "device").write_text("0x089a\n")
        apex = root / f"sys/class/apex/apex_{i}"
        for name, value in (("temp", 52300), ("trip_point0_temp", 85000), ("trip_point1_temp", 90000),
                            ("trip_point2_temp", 95000), ("hw_temp_warn2", 100000), ("hw_temp_warn2_en", 1)):
            (apex / name).write_text(f"{value}\n")
        gids["apex"] = _group_node(root / f"dev/apex_{i}", APEX_GID, 0o660)
    for i in range(usb):
        (root / f"sys/bus/usb/devices/2-{i + 1}/speed").write_text("5000\n")
        gids["plugdev"] = _group_node(root / f"dev/bus/usb/002/{i + 3:03d}", PLUGDEV_GID, 0o660)
    name, uid = USER
    (root / "etc/passwd").write_text(f"root:x:0:0:root:/root:/bin/bash\n{name}:x:{uid}:{uid}::/home/{name}:/bin/bash\n")
    groups = {"apex": gids.get("apex", APEX_GID), "plugdev": gids.get("plugdev", PLUGDEV_GID)}
    if groups["apex"] == groups["plugdev"]:  # not root: both are the runner's group
        groups["plugdev"] = PLUGDEV_GID if groups["apex"] != PLUGDEV_GID else APEX_GID
    (root / "etc/group").write_text(f"root:x:0:\n{name}:x:{uid}:\n"
                                    + "".join(f"{g}:x:{gid}:{name}\n" for g, gid in groups.items()))
    (root / "proc/sys/kernel").mkdir(parents=True)
    (root / "proc/sys/kernel/osrelease").write_text(kernel + "\n")
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/smaps").write_text(f"55d0c0a00000-55d0c0a01000 r--p 00000000 08:01 1 /usr/bin/python3\n"
                                          f"Size:                  4 kB\nKernelPageSize:        {page_kb} kB\n")
    (root / "proc/modules").write_text("apex 20480 0 - Live 0x0000000000000000 (C)\n"
                                       "gasket 98304 1 apex, Live 0x0000000000000000 (C)\n" if pci else "")
    _dpkg(root, libedgetpu, gasket=bool(pci))
    (root / "lib/udev/rules.d").mkdir(parents=True)
    (root / "lib/udev/rules.d/60-libedgetpu1-std.rules").write_text(
        'SUBSYSTEM=="usb",ATTRS{idVendor}=="1a6e",ATTRS{idProduct}=="089a",GROUP="plugdev"\n'
        'SUBSYSTEM=="usb",ATTRS{idVendor}=="18d1",ATTRS{idProduct}=="9302",GROUP="plugdev"\n')
    (root / "etc/udev/rules.d/65-apex.rules").write_text('SUBSYSTEM=="apex", MODE="0660", GROUP="apex"\n')
    return root


def _dpkg(root: Path, libedgetpu: str | None, gasket: bool) -> None:
    (root / "etc/ld.so.conf.d").mkdir(parents=True)
    (root / "etc/ld.so.conf").write_text("include /etc/ld.so.conf.d/*.conf\n")
    (root / "etc/ld.so.conf.d/aarch64-linux-gnu.conf").write_text(f"# Multiarch support\n{LIB}\n")
    info = root / "var/lib/dpkg/info"
    info.mkdir(parents=True)
    entries = []
    if libedgetpu:
        package, version = libedgetpu.split()
        lib = root / LIB.lstrip("/")
        lib.mkdir(parents=True)
        elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 64  # an ELF header's start, then the plugin's exported symbol
        (lib / "libedgetpu.so.1.0").write_bytes(elf + b"tflite_plugin_create_delegate\x00")
        (lib / "libedgetpu.so.1").symlink_to("libedgetpu.so.1.0")
        (info / f"{package}:arm64.list").write_text(f"/.\n/usr\n/usr/lib\n{LIB}\n{LIB}/libedgetpu.so.1.0\n"
                                                   f"{LIB}/libedgetpu.so.1\n/lib/udev/rules.d/60-{package}.rules\n")
        entries.append(f"Package: {package}\nStatus: install ok installed\nArchitecture: arm64\nVersion: {version}\n")
    if gasket:
        entries.append("Package: gasket-dkms\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0-18\n")
    (root / "var/lib/dpkg/status").write_text("\n".join(entries))
