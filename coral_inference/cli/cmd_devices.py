"""coral-runtime devices [--json] [--device-root DIR] [platform.device_root=DIR]: the Edge TPUs found.

Reads the same places as coral-run (backends/devices.py): pycoral's list at the real root when it is
installed, else /sys/class/apex and /sys/bus/usb/devices under the device root. Exit 0 whether or not a
device is found (the list says so); 2 for a bad argument.
"""

from __future__ import annotations

import json
import os
import sys

from ..errors import EXIT_CONFIG

OVERRIDE = "platform.device_root="


def register(sub) -> None:
    parser = sub.add_parser("devices", help="list the Edge TPUs found (PCIe and USB), with their state")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--device-root", default=None, metavar="DIR",
                        help="read /sys and /dev under DIR instead of / (default: /)")
    parser.add_argument("overrides", nargs="*", metavar="platform.device_root=DIR",
                        help="the coral-run override, accepted here too")
    parser.set_defaults(func=run)


def device_root(args) -> str:
    root = args.device_root
    for item in args.overrides:
        if not item.startswith(OVERRIDE):
            raise ValueError(f"unsupported argument {item!r}; expected {OVERRIDE}DIR")
        root = item[len(OVERRIDE):]
    root = root or "/"
    if not os.path.isdir(root):
        raise ValueError(f"device root {root!r} is not a directory (expected / or a folder holding sys/ and dev/)")
    return root


def run(args) -> int:
    from ..backends.devices import discover_with_source

    try:
        root = device_root(args)
    except ValueError as exc:
        print(f"coral-runtime devices: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    found, source = discover_with_source(root)
    if args.json:
        print(json.dumps({"device_root": root, "source": source, "count": len(found),
                          "devices": [d.to_dict() for d in found]}, indent=2))
        return 0
    print(f"{len(found)} Edge TPU(s) under {root} (via {source})")
    for d in found:
        print(f"  {d.spec:<7} {d.state:<14} {d.path}" + (f"  node {d.node}" if d.node else ""))
    if not found:
        print("  none: looked for /sys/class/apex/apex_N (PCIe) and USB ids 1a6e:089a / 18d1:9302")
    return 0
