"""Issue 12's "Done when", end to end with real parts: the example plugin really pip-installed (no network),
its workflow block (example_top1) in two streams' workflows, the real `coral-run` console script running
`run.mode=pipeline` on one CPU pool of two workers with a folder of generated images and a generated video,
recording on; then what the run wrote: results.jsonl, runtime_summary.json and the recordings."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid

import numpy as np
import pytest

from conftest import REPO, run_cli, summaries
from media import write_video

EXAMPLE = REPO / "examples" / "coral-plugin-example"
BLOCK = "[{block: example_top1, min_score: 0.0}]"


@pytest.fixture(scope="module")
def example_site(tmp_path_factory):
    """examples/coral-plugin-example pip-installed into a target folder (no deps, no index, no isolation)."""
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("example") / EXAMPLE.name
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (target / "coral_plugin_example-0.1.0.dist-info" / "entry_points.txt").is_file()
    return target


def image_folder(path, n):
    import cv2

    path.mkdir()
    for i in range(n):
        image = np.full((90, 120, 3), (i * 23) % 256, np.uint8)
        cv2.circle(image, (20 + 8 * i, 45), 12, (0, 255, 0), -1)
        assert cv2.imwrite(str(path / f"{i:03d}.png"), image)
    return path


def test_two_streams_one_pool_of_two_workers_with_an_installed_plugin_block(tmp_path, example_site):
    folder = image_folder(tmp_path / "shots", 8)
    video = write_video(tmp_path / "clip.mp4", frames=24)
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", "backends.cpu.workers=2",
                   "services.recording.enabled=true",
                   f"streams.a.source={folder}", f"streams.a.workflow={BLOCK}",
                   f"streams.b.source={video}", f"streams.b.workflow={BLOCK}",
                   f"hydra.run.dir={run_dir}", cwd=tmp_path,
                   env={"PYTHONPATH": str(example_site)}, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [summary] = summaries(run_dir)
    assert summary["status"] == "ok"
    # the block came from the installed distribution, through the coral_inference.workflows entry point
    details = {d["name"]: d for d in summary["plugins"]["details"]}
    assert details["example_top1"]["distribution"] == {"name": "coral-plugin-example", "version": "0.1.0"}
    assert details["example_top1"]["group"] == "coral_inference.workflows"

    # every result line carries its stream and the plugin block's mark; every frame of both sources is there
    records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    assert records and all(r["stream"] in ("a", "b") for r in records)
    for r in records:
        mark = r["workflow"]["example_top1"]
        best = max(r["predictions"], key=lambda p: p["score"])  # the block's mark is the result's top-1
        assert (mark["class"], mark["label"], mark["score"], mark["dropped"]) == \
            (best["class"], best["label"], best["score"], 0)
    frames = {name: sorted(r["frame"] for r in records if r["stream"] == name) for name in ("a", "b")}
    assert frames == {"a": list(range(8)), "b": list(range(24))}
    for name, n in (("a", 8), ("b", 24)):  # the block is built once per stream: its own running count
        assert sorted(r["workflow"]["example_top1"]["kept"] for r in records if r["stream"] == name) \
            == list(range(1, n + 1))

    # per-stream stats in the summary
    pipeline = summary["results"]["pipeline"]
    assert sorted(pipeline["streams"]) == ["a", "b"]
    for name, n in (("a", 8), ("b", 24)):
        stats = pipeline["streams"][name]
        assert (stats["status"], stats["frames"], stats["dropped"]) == ("finished", n, 0), stats
        assert stats["fps"] > 0
        assert stats["latency_ms"]["count"] == n and 0 <= stats["latency_ms"]["p50"] <= stats["latency_ms"]["max"]
        assert stats["capture_to_result_ms"]["count"] == n
        assert stats["workflow"] == {"example_top1": {"kept": n, "dropped": 0, "min_score": 0.0}}

    # both workers of the one CPU pool served requests
    [workers] = pipeline["backends"].values()
    assert len(workers) == 2 and all(w["requests"] > 0 for w in workers), workers
    assert sum(w["requests"] for w in workers) >= 32

    # recordings per stream under <recording.path>/<stream>/ (relative path: under the run directory)
    recordings = run_dir / summary["config"]["services"]["recording"]["path"]
    for name in ("a", "b"):
        files = sorted((recordings / name).glob("segment_*"))  # beside manifest.json (what was written)
        assert files and all(f.suffix == ".mp4" and f.stat().st_size > 0 for f in files), files


def test_metrics_points_of_both_streams_carry_their_stream_tag_and_the_blocks_counts(tmp_path, example_site,
                                                                                     influxdb_url):
    from influxdb_server import query

    db = f"coral_{uuid.uuid4().hex[:16]}"  # unique: the server may be shared by other test sessions
    folder = image_folder(tmp_path / "shots", 4)
    video = write_video(tmp_path / "clip.mp4", frames=6)
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", "backends.cpu.workers=2",
                   "services.metrics.enabled=true", f"services.metrics.influxdb_url={influxdb_url}",
                   f"services.metrics.database={db}", "services.metrics.retries=0",
                   f"streams.a.source={folder}", f"streams.a.workflow={BLOCK}",
                   f"streams.b.source={video}", f"streams.b.workflow={BLOCK}",
                   f"hydra.run.dir={run_dir}", cwd=tmp_path,
                   env={"PYTHONPATH": str(example_site)}, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    metrics = summaries(run_dir)[0]["results"]["pipeline"]["metrics"]
    assert (metrics["points"], metrics["sent"], metrics["dropped"]) == (10, 10, 0), metrics
    series = query(influxdb_url, 'SELECT frame, stream, "example_top1.kept" FROM coral_inference', db)
    series = series["results"][0]["series"][0]
    rows = [dict(zip(series["columns"], v)) for v in series["values"]]
    assert sorted((r["stream"], r["frame"]) for r in rows) == \
        [("a", i) for i in range(4)] + [("b", i) for i in range(6)]
    for name, n in (("a", 4), ("b", 6)):  # the plugin block's numeric counts are fields of each point
        assert sorted(r["example_top1.kept"] for r in rows if r["stream"] == name) == list(range(1, n + 1))
