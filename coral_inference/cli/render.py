"""Short human text for summaries (stdout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _ms(timings: dict[str, Any], key: str) -> str:
    value = timings.get(key)
    return f"{value:.2f} ms" if isinstance(value, (int, float)) else "-"


def backend_line(b: dict[str, Any]) -> str:
    model = b.get("model") or {}
    interp = b.get("interpreter") or {}
    served = f" {b['model_key']} for {', '.join(b.get('streams') or [])}" if b.get("model_key") else ""
    line = f"  backend {b['name']}{served} [{b['kind']} on {b.get('device') or '-'}]: {b['status']}"
    if b.get("requests") is not None:
        line += f"; {b['requests']} requests, {b.get('failures', 0)} failed"
    if model:
        line += f"; model {model.get('path')} (sha256 {str(model.get('sha256'))[:12]}…)"
    if interp:
        line += f"; {interp.get('module')} {interp.get('version')}"
    timings = b.get("timings_ms") or {}
    if timings:
        line += f"; init {_ms(timings, 'init')}, first inference {_ms(timings, 'first_inference')}"
    if b.get("selfcheck"):
        line += "; self-check " + ("passed" if b["selfcheck"].get("passed") else "FAILED")
    if b.get("delegate"):
        d = b["delegate"]
        line += f"\n    delegate {d.get('library')} (clock {d.get('clock')}), options {d.get('options') or {}}"
    for warning in b.get("warnings") or []:
        line += f"\n    warning: {warning}"
    timed = (b.get("benchmark") or {}).get("timed") or {}
    if timed.get("count"):
        line += (f"\n    bench: {timed['count']} runs, avg {timed['avg_ms']} ms, p50 {timed['p50_ms']} ms, "
                 f"p99 {timed['p99_ms']} ms, {timed['throughput_ips']} inferences/s")
    if b.get("reason"):
        line += f"\n    reason: {b['reason']}"
    return line


def summary_text(summary: dict[str, Any], path: Path | None = None, title: str = "coral-run") -> str:
    lines = [f"{title}: {summary['status']}"]
    lines += [f"  why: {reason}" for reason in summary.get("status_reasons") or []]
    platform = summary.get("platform")
    if platform:
        lines.append(f"  platform {platform.get('name')} ({platform.get('detected_by')}: {platform.get('reason')})")
    for b in summary.get("backends") or []:
        lines.append(backend_line(b))
    patches = summary.get("patches") or []
    if patches:
        on = [p["name"] for p in patches if p.get("enabled")]
        lines.append(f"  patches enabled: {', '.join(on) or 'none'}")
        failed = [p for p in patches if str(p.get("status", "")).startswith("failed")]
        if failed:
            lines.append("  patches failed: " + "; ".join(f"{p['name']} ({p['status'][len('failed: '):]})" for p in failed))
    plugins = (summary.get("plugins") or {}).get("loaded") or {}
    contract1 = {d["name"] for d in (summary.get("plugins") or {}).get("details") or [] if d.get("backend_contract") == 1}
    lines.append(f"  plugins loaded: {', '.join(k + (' (backend contract 1)' if k in contract1 else '') for k, v in plugins.items() if v) or 'none'}")
    failed = [d for d in (summary.get("plugins") or {}).get("details") or []
              if d.get("status") in ("failed", "incompatible", "declined", "missing")]
    if failed:
        lines.append("  plugins not loaded: " + "; ".join(f"{d['name']} ({d['status']}: {d.get('reason')})" for d in failed))
    pipeline = (summary.get("results") or {}).get("pipeline")
    if pipeline:
        lines.append(pipeline_line(pipeline))
    if summary.get("error"):
        lines.append(f"  error (exit {summary['error'].get('exit_code')}): see stderr and the summary")
    if path is not None:
        lines.append(f"  summary: {path}")
    return "\n".join(lines)


def pipeline_line(p: dict[str, Any]) -> str:
    totals = p.get("totals") or {}
    line = (f"  pipeline: {len(p.get('streams') or {})} stream(s), {totals.get('frames')} frames "
            f"({totals.get('dropped')} dropped) at {p.get('fps')} fps; stopped by {p.get('stopped_by')}; {p.get('results')}")
    for name, s in (p.get("streams") or {}).items():
        if s.get("status") == "disabled":
            line += f"\n    {name}: disabled"
            continue
        lat = s.get("latency_ms") or {}
        line += (f"\n    {name}: {s.get('status')}, {s.get('frames')} frames ({s.get('dropped')} dropped, "
                 f"{s.get('reconnects')} reconnects)" + (f" at {s['fps']} fps" if s.get("fps") is not None else "")
                 + f", inference p50 {lat.get('p50', '-')} ms")
        motion = s.get("motion")
        if motion:
            line += (f"; motion: {motion['gated']} of {motion['frames']} frames gated, {motion['inferred']} inferred"
                     f" ({motion['idle']} after max_idle_s)")
        if s.get("last_error") and s.get("status") in ("failed", "reconnecting"):
            line += f"; {s['last_error']}"
        elif s.get("health") == "degraded":
            line += "; degraded: " + "; ".join(s.get("reasons") or [])
    if p.get("metrics"):
        line += f"\n    metrics: {p['metrics']['sent']} sent, {p['metrics']['dropped']} dropped"
    for key, where in (("mqtt", "broker"), ("webhook", "target")):
        d = p.get(key)
        if isinstance(d, dict):
            line += (f"\n    {key} ({d.get(where)}): {d.get('delivered')} delivered, {d.get('dropped')} dropped"
                     + (f", {d['rejected']} rejected" if d.get("rejected") else "")
                     + (f"; last error: {d['last_error']}" if d.get("last_error") else ""))
    return line
