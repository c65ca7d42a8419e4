"""The plan as text: the verdict, each model's device time and its source, each stream's rate and its source,
each backend's load per device, the advice."""

from __future__ import annotations

from typing import Any


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def text(doc: dict[str, Any]) -> str:
    verdict = {True: "fits", False: "does not fit", None: "cannot tell"}[doc["fits"]]
    lines = [f"coral-runtime plan: {verdict} (margin {doc['margin']:g}: every device at most {_pct(doc['limit'])} "
             f"busy; published figures for {doc['link']}, platform {doc['platform']})"]
    lines.append("  models")
    for row in doc["models"].values():
        ms = ", ".join(f"{m:g}" for m in row["device_ms"]) + " ms" if row["device_ms"] else "unknown"
        each = " per segment device" if row["segmented"] and row["device_ms"] else ""
        lines.append(f"    {row['model']} on {row['backend']}: {ms}{each} ({row['source']})")
    lines.append("  streams" if doc["streams"] else "  streams: none (streams.* or run.source): capacity only")
    for row in doc["streams"]:
        load = f"busy {row['busy']:.3f} device-s/s on {', '.join(row['devices'])}" if row["busy"] is not None else "load unknown"
        lines.append(f"    {row['stream']}: {row['fps']:g} fps ({row['fps_source']}) -> {row['backend']}, "
                     f"model {row['model']}: {load}")
    lines.append("  backends")
    for name, b in doc["backends"].items():
        cap = f", {b['capacity_ips']:g} inferences/s of the default model at most" if b["capacity_ips"] else ""
        state = "ok" if b["fits"] else "OVER"
        lines.append(f"    {name} ({b['kind']}, {len(b['devices'])} device(s): {b['devices_source']}): "
                     f"{b['demand_ips']:g} inferences/s asked{cap}; busiest device {_pct(b['utilization'])} {state}")
        if b["busy"]:
            lines.append("      " + "  ".join(f"{label} {_pct(v)}" for label, v in b["busy"].items()))
    for problem in doc["problems"]:
        lines.append(f"  unknown: {problem}")
    if doc["advice"]:
        lines.append("  to make it fit")
        for a in doc["advice"]:
            how = f": {a['override']}" if a.get("override") else ""
            lead = "or " if a["action"] == "add devices" else ""
            lines.append(f"    {lead}{a['action']} {a.get('stream') or a.get('backend')}{how} ({a['why']})")
    lines += [f"  note: {n}" for n in doc["notes"]]
    return "\n".join(lines)
