"""Coral's published Edge TPU device times, looked up by model file name.

Sources: coral.ai/docs/edgetpu/benchmarks (ms per inference, USB Accelerator on USB 3 and Dev Board) and the
model pages at coral.ai/models (SSDLite MobileDet, EfficientDet-Lite0, MoveNet; given for the USB Accelerator
on USB 3). On USB 2 the Accelerator is about 3x slower (an estimate, named as one). A file name matches an entry
only when it names that very model (``mobilenet_v1_1.0_224…``, not ``mobilenet_v1_0.25_128…``): anything else is
unknown, said so, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

BENCHMARKS_PAGE = "coral.ai/docs/edgetpu/benchmarks"
MODELS_PAGE = "coral.ai/models"
USB2_FACTOR = 3.0  # the USB Accelerator on a USB 2 port (Coral: "about 3x slower")
LINKS = ("usb3", "usb2", "devboard")
DEVBOARDS = ("coral_devboard", "coral_devboard_mini")


@dataclass(frozen=True)
class Entry:
    pattern: str  # a regular expression over the file name (lowercase)
    label: str
    usb3_ms: float
    devboard_ms: float | None
    page: str


TABLE = (
    Entry(r"^ssd_mobilenet_v1_", "SSD MobileNet v1", 6.5, 11.0, BENCHMARKS_PAGE),
    Entry(r"^ssd_mobilenet_v2_", "SSD MobileNet v2", 7.2, 14.0, BENCHMARKS_PAGE),
    Entry(r"^mobilenet_v1_1\.0_224[_.]", "MobileNet v1 (1.0, 224x224)", 2.4, 2.4, BENCHMARKS_PAGE),
    Entry(r"^mobilenet_v2_1\.0_224[_.]", "MobileNet v2 (1.0, 224x224)", 2.6, 2.6, BENCHMARKS_PAGE),
    Entry(r"^deeplabv3_mnv2_pascal_", "DeepLab v3 (MobileNet v2, 513x513)", 52.0, 241.0, BENCHMARKS_PAGE),
    Entry(r"^efficientnet[-_]edgetpu[-_]s[_.]", "EfficientNet-EdgeTpu-S", 5.1, 5.5, BENCHMARKS_PAGE),
    Entry(r"^ssdlite_mobiledet_", "SSDLite MobileDet", 9.1, None, MODELS_PAGE),
    Entry(r"^(tf2_)?efficientdet_lite0", "EfficientDet-Lite0", 37.4, None, MODELS_PAGE),
    Entry(r"^movenet_single_pose_lightning", "MoveNet Lightning", 7.1, None, MODELS_PAGE),
    Entry(r"^movenet_single_pose_thunder", "MoveNet Thunder", 13.8, None, MODELS_PAGE),
)
SEGMENT_RE = re.compile(r"_segment_\d+_of_\d+")


@dataclass(frozen=True)
class Published:
    ms: float | None  # None: unknown
    source: str  # where the figure comes from, or why there is none


def link_for(platform_name: str | None, chosen: str) -> str:
    """The table column: ``chosen`` unless "auto" (the Dev Board's column on a Dev Board, else USB 3)."""
    if chosen != "auto":
        return chosen
    return "devboard" if platform_name in DEVBOARDS else "usb3"


def lookup(path: str, link: str, pcie: bool = False) -> Published:
    """The published device time of the model file ``path`` on an Edge TPU behind ``link``."""
    name = Path(str(path)).name.lower()
    if SEGMENT_RE.search(name):
        whole = _entry(SEGMENT_RE.sub("", name))
        about = f" ({whole.label}: {whole.usb3_ms} ms for the whole model on one Edge TPU)" if whole else ""
        return Published(None, f"Coral publishes no time per segment{about}: measure it with coral-run "
                               "run.mode=bench and pass --bench RUN_DIR, or give --device-ms")
    entry = _entry(name)
    if entry is None:
        return Published(None, f"no published figure for {Path(str(path)).name!r} (Coral's table does not name "
                               "this model): measure it (--bench) or give --device-ms")
    if link == "devboard":
        if entry.devboard_ms is not None:
            return Published(entry.devboard_ms, f"published: {entry.label} on the Dev Board ({entry.page})")
        return Published(entry.usb3_ms, f"published: {entry.label} on the USB Accelerator (USB 3), an estimate for "
                                        f"the Dev Board, for which Coral publishes none ({entry.page})")
    source = f"published: {entry.label} on the USB Accelerator (USB 3) ({entry.page})"
    if link == "usb2":
        return Published(round(entry.usb3_ms * USB2_FACTOR, 3),
                         f"{source} x {USB2_FACTOR:g}: an estimate for USB 2 (Coral: about 3x slower)")
    if pcie:
        source += "; used for a PCIe Edge TPU as an estimate (the table is for the USB Accelerator and Dev Board)"
    return Published(entry.usb3_ms, source)


def _entry(name: str) -> Entry | None:
    return next((e for e in TABLE if re.search(e.pattern, name)), None)
