"""udev rules for the Edge TPU's nodes, and the user's membership of the group they give.

A USB Accelerator needs a rule for both of its ids (1a6e:089a before the firmware is loaded, 18d1:9302
after; the libedgetpu1-* package installs one, group ``plugdev``); a PCIe Edge TPU needs the apex rule
(``SUBSYSTEM=="apex", MODE="0660", GROUP="apex"``; gasket-dkms ships it). Rules are read from the folders
udev reads (etc/ before lib/: a file of the same name in etc/udev/rules.d overrides the packaged one).
"""

from __future__ import annotations

import re

from .board import Board
from .fixes import APEX_RULE, USB_RULE, add_to_group, relogin
from .result import Result, error, info, ok, skipped, warning
from .users import can_open

RULE_DIRS = ("/etc/udev/rules.d", "/run/udev/rules.d", "/lib/udev/rules.d", "/usr/lib/udev/rules.d")
USB_VENDORS = ("1a6e", "18d1")
_GROUP = re.compile(r'\bGROUP\s*:?=\s*"([^"]+)"')


def rule_lines(board: Board) -> list[tuple[str, str]]:
    """(file on the board, line) of every active rule line; a name in an earlier folder hides later ones."""
    seen: set[str] = set()
    out = []
    for folder in RULE_DIRS:
        base = board.at(folder)
        for path in sorted(base.glob("*.rules")) if base.is_dir() else []:
            if path.name in seen:
                continue
            seen.add(path.name)
            for line in (board.text(path, "text") or "").splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    out.append((f"{folder}/{path.name}", line))
    return out


def usb_rules(board: Board) -> dict[str, list[tuple[str, str]]]:
    """vendor id -> the rule lines matching it."""
    lines = rule_lines(board)
    return {v: [(f, line) for f, line in lines if re.search(rf'idVendor\}}\s*==\s*"{v}"', line)] for v in USB_VENDORS}


def apex_rules(board: Board) -> list[tuple[str, str]]:
    return [(f, line) for f, line in rule_lines(board) if re.search(r'SUBSYSTEM\s*==\s*"apex"', line)]


def group_for(board: Board, kind: str) -> str:
    """The group the rules give ``kind``'s nodes (usb: plugdev, pci: apex unless a rule says otherwise)."""
    lines = [line for found in usb_rules(board).values() for _, line in found] if kind == "usb" else \
        [line for _, line in apex_rules(board)]
    for line in lines:
        match = _GROUP.search(line)
        if match:
            return match.group(1)
    return "plugdev" if kind == "usb" else "apex"


def check(board: Board) -> list[Result]:
    results = []
    if board.of_type("usb"):
        found = usb_rules(board)
        missing = [v for v, lines in found.items() if not lines]
        files = sorted({f for lines in found.values() for f, _ in lines})
        if missing:
            results.append(warning("udev.rule", f"no udev rule for USB vendor id(s) {', '.join(missing)} in "
                                   f"{', '.join(RULE_DIRS)}", USB_RULE, subject="usb", data={"files": files}))
        else:
            results.append(ok("udev.rule", f"USB ids 1a6e and 18d1 have a rule ({', '.join(files)})", subject="usb",
                              data={"files": files}))
    else:
        results.append(skipped("udev.rule", "no USB Accelerator found", subject="usb"))
    if board.has_pcie:
        found_apex = apex_rules(board)
        files = sorted({f for f, _ in found_apex})
        if found_apex:
            results.append(ok("udev.rule", f"the apex rule is there ({', '.join(files)})", subject="pci",
                              data={"files": files}))
        else:
            results.append(warning("udev.rule", f"no udev rule for SUBSYSTEM==\"apex\" in {', '.join(RULE_DIRS)}",
                                   APEX_RULE, subject="pci"))
    else:
        results.append(skipped("udev.rule", "no PCIe Edge TPU found", subject="pci"))
    for kind in ("usb", "pci"):
        if kind == "pci" and board.has_pcie or board.of_type(kind):
            results.append(_membership(board, kind))
    return results


def _membership(board: Board, kind: str) -> Result:
    group = group_for(board, kind)
    user = board.user
    gid = board.accounts.gid_of(group)
    nodes = [d.node for d in board.of_type(kind) if d.node and board.stat(d.node) is not None]
    blocked = [n for n in nodes if not can_open(board.stat(n), user)]
    data = {"group": group, "user": user.name, "blocked": blocked}
    if user.uid == 0:
        return ok("udev.group", f"{user.name} is root: no group needed", subject=group, data=data)
    if gid is not None and gid in user.groups:
        if gid not in user.effective:
            return warning("udev.group", f"{user.name} is in group {group}, but not this session yet",
                           relogin(group), subject=group, data=data)
        return ok("udev.group", f"{user.name} is in group {group}", subject=group, data=data)
    where = "" if gid is not None else f" (no group {group} in etc/group)"
    fix = (f"sudo groupadd {group}; " if gid is None else "") + add_to_group(user.name, group)
    if blocked:
        return error("udev.group", f"{user.name} is not in group {group}{where} and cannot open "
                     f"{', '.join(blocked)}", fix, subject=group, data=data)
    return info("udev.group", f"{user.name} is not in group {group}{where}; the nodes are open to it all the same",
                subject=group, data=data)
