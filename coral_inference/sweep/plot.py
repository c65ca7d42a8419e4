"""A bar chart of a sweep report: throughput and latency per job (matplotlib, an optional extra)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

INSTALL_HINT = "pip install 'coral_inference[plot]' (matplotlib)"


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def plot_report(report: dict[str, Any], path: Path) -> Path:
    """Draw throughput (inferences/s) and latency (p50 bar, p99 mark) per job into a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise PlotUnavailable(f"drawing the sweep chart needs matplotlib ({exc}): {INSTALL_HINT}") from None

    rows = report["rows"]
    common = set.intersection(*(set(r.get("overrides") or []) for r in rows)) if rows else set()
    labels = [_label(r, common) for r in rows]
    xs = list(range(len(rows)))
    fig, (ax_t, ax_l) = plt.subplots(2, 1, figsize=(max(6.0, 1.2 * len(rows) + 2), 7), sharex=True)
    ax_t.bar(xs, [r.get("throughput_ips") or 0 for r in rows], color="tab:blue")
    ax_t.set_ylabel("throughput (inferences/s)")
    ax_t.set_title(f"Sweep {Path(report['sweep_dir']).name}: {report['jobs']} job(s), {report['failed']} failed")
    ax_l.bar(xs, [r.get("p50_ms") or 0 for r in rows], color="tab:orange", label="p50")
    p99 = [(x, r["p99_ms"]) for x, r in zip(xs, rows) if r.get("p99_ms") is not None]
    ax_l.scatter([x for x, _ in p99], [v for _, v in p99], color="black", marker="_", s=300, label="p99", zorder=3)
    ax_l.set_ylabel("latency (ms)")
    ax_l.legend(loc="upper right")
    for x, row in zip(xs, rows):
        if row["status"] == "failed" or row.get("throughput_ips") is None:
            text = "failed" if row["status"] == "failed" else "no bench"
            for ax in (ax_t, ax_l):
                ax.annotate(text, (x, 0), ha="center", va="bottom", color="tab:red", rotation=90)
    ax_l.set_xticks(xs)
    ax_l.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
    fig.tight_layout()
    import tempfile

    from ..files import check_writable_target

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    check_writable_target(path, "--plot file", key="--plot")  # a link there is refused, never written through
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # ours, O_EXCL
    os.close(fd)
    tmp = Path(name)
    try:
        fig.savefig(tmp, dpi=100, format="png")
        os.replace(tmp, path)  # atomic, like the other reports
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return path


def _label(row: dict[str, Any], common: set[str]) -> str:
    """The job number and the overrides that tell it apart from the other jobs."""
    own = [o for o in row.get("overrides") or [] if o not in common]
    text = "\n".join(own) or "(same as the others)"
    return f"{row['job']}: {text}"
