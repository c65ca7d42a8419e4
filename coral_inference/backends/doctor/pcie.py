"""PCIe / M.2 Edge TPUs: on the PCI bus (id 1ac1:089a, there with or without a driver), bound by the
apex driver (/sys/class/apex/apex_N), their /dev/apex_N nodes and whether the user may open them; a Dual
Edge TPU card that shows one TPU."""

from __future__ import annotations

from .access import node_access
from .board import Board
from .fixes import APEX_RULE
from .result import Result, error, info, ok, skipped, warning
from .udev import group_for

DUAL_CARD = ("a Dual Edge TPU card shows one TPU in a slot wired for one PCIe lane (most M.2 E-key slots): "
             "use a slot or an adapter that carries both lanes (each TPU has its own PCIe x1 link)")


def check(board: Board) -> list[Result]:
    apex = board.of_type("pci")
    functions = board.pci_functions
    if not apex and not functions:
        return [skipped("pcie.device", "no PCIe Edge TPU: no /sys/class/apex/apex_N and no PCI device 1ac1:089a "
                        "under /sys/bus/pci/devices")]
    results = [_devices(board, apex, functions)]
    expected = _expected(board)
    if expected and len(max(apex, functions, key=len)) < expected:
        results.append(warning("pcie.count", f"platform {board.platform.get('name')} holds {expected} PCIe Edge "
                               f"TPUs; {len(max(apex, functions, key=len))} found", DUAL_CARD,
                               data={"expected": expected, "bus": len(functions), "apex": len(apex)}))
    group = group_for(board, "pci")
    for device in apex:
        if board.stat(device.node) is None:
            results.append(error(
                "pcie.node", f"{device.path} exists but {device.node} does not", subject=device.spec,
                fix=f"in a container, pass the device in (docker run --device {device.node}); on the host, install "
                    f"the apex udev rule and reboot: {APEX_RULE}"))
            continue
        results.append(node_access(board, "pcie.node", device.spec, device.node, group, APEX_RULE))
    return results


def _devices(board: Board, apex: list, functions: list[str]) -> Result:
    data = {"bus": functions, "apex": [d.path for d in apex]}
    if len(apex) >= len(functions):
        return ok("pcie.device", f"{len(apex)} PCIe Edge TPU(s) with the apex driver "
                  f"({', '.join(d.spec for d in apex)})", data=data)
    seen = (f"{len(functions)} Coral PCIe device(s) on the bus ({', '.join(functions)}), "
            f"{len(apex)} with the apex driver")
    if {"apex", "gasket"} <= board.modules:
        return error("pcie.device", seen + " although apex and gasket are loaded",
                     "see why the driver did not take the device: 'sudo dmesg | grep -i apex' (a kernel with "
                     "16 KiB pages, or PCIe ASPM: add 'pcie_aspm=off' to the kernel command line)", data=data)
    return info("pcie.device", seen + ": the driver is not loaded (see driver.modules)", data=data)


def _expected(board: Board) -> int:
    """PCIe Edge TPUs the configured platform holds when it is a PCIe-only one with two or more (the Dual
    Edge TPU card, platform=m2_dual_edgetpu); 0 otherwise (platform=auto cannot say)."""
    platform = board.platform or {}
    if platform.get("name") in (None, "auto") or list(platform.get("edgetpu_types") or []) != ["pci"]:
        return 0
    expected = int(platform.get("max_devices") or 0)
    return expected if expected >= 2 else 0
