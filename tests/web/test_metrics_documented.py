"""docs/serve.md's table of /metrics series is the truth: its names are exactly the families a real service
exports (a real StreamManager on a real model and a clip, scraped over HTTP, parsed with prometheus_client's
parser), and each documented label set is the one the samples carry."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

pytest.importorskip("aiohttp")
pytest.importorskip("prometheus_client")

from media import write_video  # noqa: E402
from web_service import request, serving  # noqa: E402

DOC = Path(__file__).resolve().parents[2] / "docs" / "serve.md"


def documented() -> dict[str, set[str]]:
    """series name -> its labels, from the rows of the 'Metric series' table (`a_{x,y}_total` expands)."""
    text = DOC.read_text()
    table = text[text.index("**Metric series**"):]
    table = table[:table.index("\n\n", table.index("| series"))]
    out = {}
    for row in table.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        labels = set(re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", cells[1])))  # not (values)
        for name in re.findall(r"`(coral_[a-z_{},]+)`", cells[0]):
            match = re.fullmatch(r"(.*)\{(.*)\}(.*)", name)
            for expanded in ([match[1] + part + match[3] for part in match[2].split(",")] if match else [name]):
                out[expanded] = labels
    return out


def exported(text: str) -> dict[str, set[str]]:
    """family name as scraped (counters with _total) -> labels its samples carry."""
    from prometheus_client.parser import text_string_to_metric_families

    out = {}
    for family in text_string_to_metric_families(text):
        name = family.name + "_total" if family.type == "counter" else family.name
        if name.endswith("_created"):
            continue  # prometheus_client's own creation-time gauges beside a histogram
        labels = out.setdefault(name, set())
        for sample in family.samples:
            if not sample.name.endswith("_created"):
                labels.update(k for k in sample.labels if k != "le")
    return out


def test_the_documented_series_are_the_exported_ones(tmp_path, runtime_context):
    from coral_inference.streams.manager import StreamManager

    from conftest import coral_file

    video = write_video(tmp_path / "clip.mp4", frames=6)
    context = runtime_context(
        "run.mode=serve", "backends=cpu", f"models.m.path={coral_file('mobilenet_v1_0.25_128_quant.tflite')}",
        f"streams.a.source={video}", "streams.a.model=m", "streams.a.max_fps=20",
        "streams.a.workflow=[{block: score_filter, min_score: 0.5}]")
    manager = StreamManager(context)
    with serving(manager) as s:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and manager.status()["a"]["status"] != "finished":
            time.sleep(0.05)
        status, _headers, body = request(s.url, "/metrics")
    assert status == 200
    docs, found = documented(), exported(body.decode() if isinstance(body, bytes) else body)
    assert len(docs) > 20, docs  # the table was read
    assert set(docs) == set(found), (f"documented, not exported: {sorted(set(docs) - set(found))}; "
                                     f"exported, not documented: {sorted(set(found) - set(docs))}")
    for name, labels in found.items():
        if labels:  # a family with samples in this run: its labels are the documented ones
            assert labels == docs[name], (name, labels, docs[name])
