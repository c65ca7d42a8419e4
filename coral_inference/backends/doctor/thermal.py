"""Temperature and throttling of PCIe Edge TPUs, where the apex driver exposes them: ``temp`` and the
trip points ``trip_point0_temp`` .. ``trip_point2_temp`` (millidegrees Celsius) under /sys/class/apex/apex_N.
At each trip point the driver lowers the Edge TPU's clock; at ``hw_temp_warn2`` (when ``hw_temp_warn2_en``)
the chip shuts down. USB Accelerators expose no temperature."""

from __future__ import annotations

from .board import Board
from .fixes import COOLING
from .result import Result, error, ok, skipped, warning


def _celsius(text: str | None) -> float | None:
    try:
        return int(text) / 1000 if text is not None else None
    except ValueError:
        return None


def check(board: Board) -> list[Result]:
    apex = board.of_type("pci")
    if not apex:
        return [skipped("thermal.temp", "no PCIe Edge TPU (a USB Accelerator exposes no temperature)")]
    return [_one(board, device) for device in apex]


def _one(board: Board, device) -> Result:
    base = board.at(device.path)
    temp = _celsius(board.text(base / "temp"))
    if temp is None:
        return skipped("thermal.temp", f"the kernel exposes no temperature for {device.spec} (no {device.path}/temp)",
                       subject=device.spec)
    trips = {f"trip_point{i}_temp": _celsius(board.text(base / f"trip_point{i}_temp")) for i in range(3)}
    trips = {k: v for k, v in trips.items() if v is not None and v > 0}
    shutdown = _celsius(board.text(base / "hw_temp_warn2"))
    if board.text(base / "hw_temp_warn2_en") in ("0", None):
        shutdown = None
    data = {"temp_c": temp, **{k.replace("_temp", "_c"): v for k, v in trips.items()}, "shutdown_c": shutdown}
    if shutdown and temp >= shutdown:
        return error("thermal.temp", f"{device.spec} at {temp:.1f} °C: at or above the shutdown temperature "
                     f"{shutdown:.1f} °C (hw_temp_warn2)", COOLING, subject=device.spec, data=data)
    passed = [k for k, v in sorted(trips.items(), key=lambda kv: kv[1]) if temp >= v]
    if passed:
        return warning("thermal.temp", f"{device.spec} at {temp:.1f} °C, at or above {passed[-1]} "
                       f"({trips[passed[-1]]:.1f} °C): the driver has lowered its clock (throttled)", COOLING,
                       subject=device.spec, data=data)
    first = min(trips.values()) if trips else None
    below = f", below the first trip point {first:.1f} °C" if first is not None else " (no trip points exposed)"
    return ok("thermal.temp", f"{device.spec} at {temp:.1f} °C{below}", subject=device.spec, data=data)
