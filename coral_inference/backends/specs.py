"""The Edge TPU device spec grammar (libedgetpu's), documented once.

    ""       the first Edge TPU found          ":N"     the Nth Edge TPU of any type
    "usb"    the first USB Accelerator         "usb:N"  the Nth USB Edge TPU
    "pci"    the first PCIe Edge TPU           "pci:N"  the Nth PCIe Edge TPU

A backend's ``devices`` is one spec, ``all`` (every Edge TPU found, at least ``min_devices``), or a list
of specs (a pool: one interpreter per device). Validation at config time uses ``spec_problems``; the
runtime picks devices with ``select``.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import BackendError, ConfigError
from .devices import EdgeTpuDevice, describe

SPEC_RE = re.compile(r"^(?:(usb|pci)(?::([0-9]{1,3}))?|:([0-9]{1,3})|)\Z")  # an index of at most 3 digits
EXPECTED = "'', ':N', 'usb', 'usb:N', 'pci', 'pci:N', 'all' or a list of these"


def parse_spec(spec: str) -> tuple[str | None, int | None]:
    """'' -> (None, None); ':1' -> (None, 1); 'usb' -> ('usb', None); 'pci:0' -> ('pci', 0)."""
    match = SPEC_RE.match(spec)
    if not match:
        raise ConfigError(f"device spec {spec!r} is not valid; expected {EXPECTED}")
    kind, kind_index, any_index = match.groups()
    index = kind_index if kind_index is not None else any_index
    return kind, int(index) if index is not None else None


def spec_list(devices: Any) -> list[str] | None:
    """The configured device specs as a list, or None for 'all'."""
    if devices is None:
        return [""]
    if isinstance(devices, str):
        return None if devices == "all" else [devices]
    if not isinstance(devices, (list, tuple)):
        return [str(devices)]  # not a spec (spec_problems says so): never matches the grammar
    return [str(d) for d in devices]


def indexed(spec: str) -> bool:
    return SPEC_RE.match(spec) is not None and parse_spec(spec)[1] is not None


def spec_problems(devices: Any) -> list[tuple[Any, str]]:
    """(value, message) for each thing wrong with a ``devices`` value; empty when it is fine."""
    if devices is None or isinstance(devices, str):
        items = [] if devices in (None, "all") else [devices]
    elif isinstance(devices, (list, tuple)):
        items = list(devices)
        if not items:
            return [(items, "empty device list")]
    else:
        return [(devices, f"a device spec must be a string or a list, not {type(devices).__name__}")]
    problems = []
    for item in items:
        if not isinstance(item, str):
            problems.append((item, f"device spec {item!r} is not a string"))
        elif item == "all" and len(items) > 1:
            problems.append((item, "'all' cannot be part of a list"))
        elif not SPEC_RE.match(item):
            problems.append((item, f"invalid device spec {item!r}"))
    return problems


def select(found: list[EdgeTpuDevice], specs: list[str] | None) -> list[EdgeTpuDevice]:
    """Pick one device per spec (None: all found). Raises BackendError naming what is missing."""
    if specs is None:
        return list(found)
    chosen: list[EdgeTpuDevice] = []
    for spec in specs:
        kind, index = parse_spec(spec)
        matching = [d for d in found if kind is None or d.type == kind]
        if index is None:
            free = [d for d in matching if d not in chosen]
            if not free:
                raise BackendError(f"device spec {spec!r}: no free {kind or 'Edge TPU'} left (found {describe(found)})")
            chosen.append(free[0])
            continue
        if index >= len(matching):
            raise BackendError(
                f"device spec {spec!r}: only {len(matching)} {kind or 'Edge TPU'} device(s) found ({describe(found)})"
            )
        if matching[index] in chosen:
            raise BackendError(f"device spec {spec!r}: {matching[index].spec} is already used by this backend")
        chosen.append(matching[index])
    return chosen
