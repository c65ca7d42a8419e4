"""USB Accelerators: the id (1a6e:089a until libedgetpu loads the firmware, 18d1:9302 after), the link
speed from sysfs (480 Mb/s is USB 2: about 3x slower), and whether the user may open the USB node."""

from __future__ import annotations

from .access import node_access
from .board import Board
from .fixes import RUN_ONCE, USB3, USB_RULE
from .result import Result, error, info, ok, skipped, warning
from .udev import group_for

SPEEDS = {"1.5": "USB 1 low speed", "12": "USB 1 full speed", "480": "USB 2", "5000": "USB 3",
          "10000": "USB 3.1", "20000": "USB 3.2"}


def check(board: Board) -> list[Result]:
    usb = board.of_type("usb")
    if not usb:
        return [skipped("usb.device", "no USB Accelerator: no USB device 1a6e:089a or 18d1:9302 under "
                        "/sys/bus/usb/devices")]
    group = group_for(board, "usb")
    results = []
    for device in usb:
        entry = board.at(device.path)
        ids = f"{board.text(entry / 'idVendor')}:{board.text(entry / 'idProduct')}"
        where = f"{device.spec} at {device.path}"
        if ids == "1a6e:089a":
            results.append(warning("usb.firmware", f"{where} has id 1a6e:089a: its firmware is not loaded yet",
                                   RUN_ONCE, subject=device.spec, data={"id": ids}))
            results.append(skipped("usb.speed", "judged once the firmware is loaded (the Accelerator then "
                                   "connects again, as 18d1:9302)", subject=device.spec))
        else:
            results.append(ok("usb.firmware", f"{where} has id 18d1:9302: firmware loaded", subject=device.spec,
                              data={"id": ids}))
            results.append(_speed(board, device, entry))
        if device.node is None:
            results.append(info("usb.node", f"{where}: no busnum/devnum in sysfs, so no node to judge",
                                subject=device.spec))
        elif board.stat(device.node) is None:
            results.append(error("usb.node", f"{where}: its node {device.node} does not exist", subject=device.spec,
                                 fix="in a container, map the USB bus in whole: docker run -v "
                                     "/dev/bus/usb:/dev/bus/usb (the node changes when the firmware loads)"))
        else:
            results.append(node_access(board, "usb.node", device.spec, device.node, group, USB_RULE))
    return results


def _speed(board: Board, device, entry) -> Result:
    speed = board.text(entry / "speed")
    data = {"speed_mbps": speed}
    if speed is None:
        return skipped("usb.speed", f"no {device.path}/speed in sysfs", subject=device.spec, data=data)
    name = SPEEDS.get(speed, f"{speed} Mb/s")
    try:
        fast = float(speed) >= 5000
    except ValueError:
        return skipped("usb.speed", f"{device.path}/speed reads {speed!r}, not a number", subject=device.spec,
                       data=data)
    if fast:
        return ok("usb.speed", f"{device.spec} runs at {speed} Mb/s ({name})", subject=device.spec, data=data)
    return warning("usb.speed", f"{device.spec} runs at {speed} Mb/s ({name}), not USB 3", USB3,
                   subject=device.spec, data=data)
