"""streams.<name>.sinks is an open map over the registry's kind "sink" (streams/sinkset.py): a plugin's
sink is switched on per stream like a built-in, built once per stream with factory(stream, context), given
every result with its frame, closed with its totals in the summary, counted in the run status and /metrics;
an unknown sink name is exit 2 naming the key, the value, its source and the sinks that exist."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from conftest import run_cli
from media import write_video


class Tally:
    """A plugin sink: counts what it is given, per stream."""

    built: list = []

    def __init__(self, stream, context):
        Tally.built.append((stream.name, context))
        self.frames, self.shapes, self.closed = [], set(), False

    def write(self, result, frame):
        assert isinstance(frame, np.ndarray)
        self.frames.append(result["frame"])
        self.shapes.add(frame.shape)

    def close(self):
        self.closed = True
        return {"results": len(self.frames), "shapes": sorted(map(list, self.shapes))}


class Broken:
    def __init__(self, stream, context):
        self.calls = 0

    def write(self, result, frame):
        self.calls += 1
        raise OSError("disk gone")

    def close(self):
        return {"calls": self.calls}


def test_a_plugin_sink_runs_per_stream_like_a_built_in(tmp_path, runtime_context, caplog):
    from coral_inference.streams.manager import StreamManager
    from coral_inference.web.metrics import _sink_families

    video = write_video(tmp_path / "clip.mp4", frames=7)
    context = runtime_context("run.mode=pipeline", "backends=cpu", f"streams.a.source={video}",
                              f"streams.b.source={video}", f"streams.c.source={video}",
                              "streams.a.sinks.tally=true", "streams.b.sinks.tally=true", "streams.b.sinks.broken=true",
                              "streams.b.sinks.results=false")
    context.registry.add("sink", "tally", Tally, source="tally-dist")
    context.registry.add("sink", "broken", Broken, source="tally-dist")
    Tally.built = []
    with caplog.at_level(logging.WARNING, logger="coral_inference.streams.sinkqueue"):
        manager = StreamManager(context)
        # once per stream that switches it on, with the run's context; off by default (stream c)
        assert sorted(name for name, _ in Tally.built) == ["a", "b"] and all(c is context for _, c in Tally.built)
        # in run order: the built-ins that are on (masks declines without run.mask_png), then plugins' by name
        assert list(manager.streams["b"].sinks) == ["buffer", "broken", "tally"]
        manager.start()
        assert manager.wait(timeout=60)
        status = manager.status()
        manager.stop()
    summary = manager.summary()["streams"]
    for name in ("a", "b"):
        assert summary[name]["sinks"]["tally"] == {"results": 7, "shapes": [[120, 160, 3]]}
        assert summary[name]["sink_writes"]["tally"] == {"written": 7, "failed": 0, "error": None}
    assert "tally" not in summary["c"]["sinks"] and "tally" not in summary["c"]["sink_writes"]
    assert "results" not in summary["b"]["sinks"] and summary["a"]["sinks"]["results"]["lines"] == 7
    # a failing sink: counted, its first error kept, logged once; the others went on
    assert summary["b"]["sink_writes"]["broken"] == {"written": 0, "failed": 7, "error": "OSError: disk gone"}
    assert summary["b"]["sinks"]["broken"] == {"calls": 7}
    assert [r.getMessage() for r in caplog.records].count(
        "stream b: sink broken failed (logged once, then counted): OSError: disk gone") == 1
    # the run status and /metrics carry the same counts
    assert status["a"]["sink_writes"]["tally"]["written"] == 7
    written, failed = _sink_families(status)
    samples = {(s.labels["stream"], s.labels["sink"]): s.value for s in written.samples}
    assert samples[("a", "tally")] == 7.0 and samples[("b", "tally")] == 7.0
    assert {(s.labels["stream"], s.labels["sink"]): s.value for s in failed.samples}[("b", "broken")] == 7.0


def test_the_sinks_of_a_spec_are_every_registry_sink_in_run_order(tmp_path):
    from coral_inference.config.descriptor import RuntimeDescriptor, merge
    from coral_inference.errors import Issues
    from coral_inference.plugins.registry import new_registry
    from coral_inference.streams.spec import build_specs

    video = write_video(tmp_path / "v.mp4", frames=2)
    config = merge(RuntimeDescriptor.from_cli(["backends=cpu", f"streams.s.source={video}", "streams.s.sinks.aa=true",
                                               "streams.s.sinks.masks=null"])).compose().runtime_config(validate=False)
    registry = new_registry()
    registry.add("sink", "aa", Tally, source="d")
    registry.add("sink", "zz", Tally, source="d")
    issues = Issues()
    [spec] = build_specs(config, issues, registry=registry).values()
    assert issues.items == []
    assert list(spec.sinks.items()) == [("masks", True), ("results", True), ("recording", False),
                                        ("metrics", False), ("buffer", True), ("mqtt", False), ("webhook", False),
                                        ("snapshots", True), ("events", True),
                                        ("aa", True), ("zz", False)]


@pytest.mark.parametrize("value", ["true", "false"])
def test_an_unknown_sink_is_exit_2_naming_the_key_value_source_and_the_sinks(tmp_path, value):
    video = write_video(tmp_path / "clip.mp4", frames=2)
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"streams.front.source={video}",
                   f"streams.front.sinks.recordng={value}", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    [line] = [l for l in proc.stderr.splitlines() if "streams.front.sinks.recordng" in l]
    assert "no sink named 'recordng'; did you mean 'recording'?" in line
    assert value.capitalize() in line or value in line
    assert "command line" in line
    for name in ("masks", "results", "recording", "metrics", "buffer", "preview"):
        assert name in line


def test_a_sink_value_that_is_not_a_bool_is_exit_2(tmp_path):
    video = write_video(tmp_path / "clip.mp4", frames=2)
    proc = run_cli("coral-run", "run.mode=validate", "backends=cpu", f"streams.front.source={video}",
                   "streams.front.sinks.results=maybe", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "streams.front.sinks.results" in proc.stderr and "maybe" in proc.stderr
