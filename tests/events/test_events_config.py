"""streams.<name>.tracker, .zones and .lines: checked at validation, every problem naming its key, value and
source (exit 2 through coral-run), ranges from config/ranges.py."""

import json

import pytest

from conftest import run_cli, summaries
from coral_inference.config.descriptor import RuntimeDescriptor as D
from coral_inference.config.descriptor import merge
from coral_inference.errors import ConfigError
from media import write_video


def problems_of(*overrides):
    try:
        merge(D.from_cli(["run.mode=pipeline", "backends=cpu", *overrides])).compose().runtime_config()
    except ConfigError as exc:
        return {p.key: p for p in exc.problems}
    return {}


def test_a_good_tracker_zone_and_line_pass(tmp_path):
    video = write_video(tmp_path / "v.mp4", frames=2)
    assert problems_of(f"streams.a.source={video}", "streams.a.tracker.kind=iou", "streams.a.tracker.min_hits=1",
                       "streams.a.zones.door.polygon=[[0, 0], [0.5, 0], [0.5, 1]]", "streams.a.zones.door.labels=[person, 3]",
                       "streams.a.lines.gate.points=[[0.5, 0], [0.5, 1]]", "streams.a.lines.gate.directions=[in]") == {}


def test_every_problem_names_its_key_value_and_source(tmp_path):
    video = write_video(tmp_path / "v.mp4", frames=2)
    found = problems_of(
        f"streams.a.source={video}", "streams.a.zones.z.polygon=[[0, 0], [1, 0], [1, 1]]",  # no tracker
        f"streams.b.source={video}", "streams.b.tracker.kind=sort",
        f"streams.c.source={video}", "streams.c.tracker.kind=iou", "streams.c.zones.z.polygon=[[0, 0], [1, 1]]",
        "streams.c.lines.l.points=[[0.5, 0], [0.5, 0]]", "streams.c.lines.m.points=[[0, 0], [1, 1]]",
        "streams.c.lines.m.directions=[up]", "streams.c.zones.y.polygon=[[0, 0], [1.5, 0], [1, 1]]",
        "streams.c.tracker.max_age_s=0", "streams.c.tracker.iou_threshold=2", "streams.c.zones.y.min_frames=0",
        "streams.c.tracker.options={a: 1}", "streams.c.zones._z.polygon=[[0, 0], [1, 0], [1, 1]]")
    assert "zones need a tracker" in found["streams.a.tracker.kind"].message
    assert found["streams.a.tracker.kind"].expected.startswith("a tracker: streams.a.tracker.kind=iou")
    assert "no tracker named 'sort'" in found["streams.b.tracker.kind"].message
    assert found["streams.b.tracker.kind"].value == "sort" and "none | iou" in found["streams.b.tracker.kind"].expected
    assert found["streams.c.zones.z.polygon"].value == [[0, 0], [1, 1]]
    assert "the two points are the same" in found["streams.c.lines.l.points"].message
    assert "unknown direction 'up'" in found["streams.c.lines.m.directions"].message
    assert found["streams.c.zones.y.polygon[1][0]"].message.startswith("too large")
    assert found["streams.c.tracker.max_age_s"].message.startswith("too small")
    assert found["streams.c.tracker.iou_threshold"].message.startswith("too large")
    assert found["streams.c.zones.y.min_frames"].message.startswith("too small")
    assert "takes no options" in found["streams.c.tracker.options"].message
    assert "not a usable name" in found["streams.c.zones._z"].message
    assert {k: p.source for k, p in found.items() if p.source != "command line"} == {}


def test_coral_run_exits_2_with_one_message_naming_the_key(tmp_path):
    video = write_video(tmp_path / "v.mp4", frames=2)
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"streams.a.source={video}",
                   "streams.a.lines.gate.points=[[0.5, 0], [0.5, 1]]", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "streams.a.tracker.kind" in proc.stderr and "lines need a tracker" in proc.stderr
    assert "Traceback" not in proc.stderr
    (problem,) = summaries(tmp_path / "run")[0]["error"]["problems"]
    assert problem["key"] == "streams.a.tracker.kind" and problem["value"] == "none"


def test_workflow_line_counter_says_what_replaced_it(tmp_path):
    video = write_video(tmp_path / "v.mp4", frames=2)
    found = problems_of(f"streams.a.source={video}", "streams.a.workflow=[{block: zone_count, polygon: [[0, 0], [1, 0], [1, 1]]}]")
    problem = found["streams.a.workflow[0].block"]
    assert "replaced" in problem.message and problem.expected.startswith("streams.a.zones.<zone>.polygon")
