"""coral-runtime doctor: what a Coral board needs, checked under platform.device_root.

One module per subject, each ``check(board) -> list[Result]`` (result.py), run in the order of CHECKS:

    pcie         PCIe Edge TPUs on the bus and bound by apex; /dev/apex_N and the user's access; a Dual card
                 showing one TPU
    driver       apex/gasket modules loaded, the kernel version (gasket-dkms on >= 6.5), 4 KiB pages
    usb          USB Accelerators: id before/after firmware load, link speed, the USB node's access
    udev         the udev rules for 1a6e/18d1 and apex, the user's group (plugdev / apex)
    libedgetpu   the delegate library found where the loader looks, a delegate plugin, std/max, version
    interpreter  the interpreter run.interpreter picks, numpy, and libedgetpu's TensorFlow version
    thermal      apex temperature against its trip points

Everything is read through ``Board`` (board.py): the tree under the root, plus the user, the Python
distributions' versions and LD_LIBRARY_PATH as inputs, so every check runs on a fake board in tests.
Checks that cannot apply (no PCIe device at all) are ``skipped`` with the reason, not problems.
docs/board.md explains each check and its fixes.
"""

from __future__ import annotations

import importlib
from typing import Any

from .board import Board
from .result import Result, counts, error, exit_code

CHECKS = ("pcie", "driver", "usb", "udev", "libedgetpu", "interpreter", "thermal")

__all__ = ["Board", "CHECKS", "Result", "exit_code", "report", "run"]


def run(board: Board) -> list[Result]:
    """Every check's results, in order. A check that raises is itself an error result naming the bug
    (doctor never ends in a traceback); a FileProblem (a FIFO where a sysfs file should be) is bad input
    and propagates (exit 2)."""
    from ...files import FileProblem

    results: list[Result] = []
    for name in CHECKS:
        try:
            results += importlib.import_module(f"{__name__}.{name}").check(board)
        except FileProblem:
            raise
        except Exception as exc:  # a bug in a check: reported as one, the other checks still run
            results.append(error(name, f"the {name} check failed: {type(exc).__name__}: {exc}",
                                 "a bug in coral_inference: report it with this output"))
    return results


def report(board: Board, results: list[Result]) -> dict[str, Any]:
    """The JSON document of coral-runtime doctor --json."""
    tally = counts(results)
    return {
        "ok": exit_code(results) == 0,
        "problems": tally["warning"] + tally["error"],
        "counts": tally,
        "device_root": board.device_root,
        "user": board.user.to_dict(),
        "config": {"platform": dict(board.platform), "delegate_library": board.library, "clock": board.clock,
                   "interpreter": board.interpreter},
        "devices": [d.to_dict() for d in board.devices],
        "checks": [r.to_dict() for r in results],
    }
