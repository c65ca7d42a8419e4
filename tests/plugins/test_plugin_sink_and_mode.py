"""Issue 18 "every kind reachable": one really pip-installed package (no network) contributes a sink and a
run mode; both run through real `coral-run` processes. The sink is switched on per stream like a built-in
(streams.<name>.sinks.<sink>=true), built once per stream with (stream, context), given every result with
its frame, closed with its totals in the summary; the mode is selected with run.mode=<name>, runs with
the context after init, and its dict is results.<name>. Unknown names are exit 2 naming the ones that exist."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, summaries
from media import write_video
from plugin_dists import pip_install

PLUGIN = '''
from coral_inference.plugins import PluginSpec


class FrameLog:
    """A sink: one JSON line per result into <run dir>/framelog-<stream>.jsonl, with the frame's size."""

    def __init__(self, stream, context):
        from pathlib import Path

        self.stream = stream.name
        self.path = Path(stream.run_dir) / f"framelog-{stream.name}.jsonl"
        self.file = open(self.path, "w")
        self.lines = 0
        self.built_for = type(context).__name__

    def write(self, result, frame):
        import json

        self.file.write(json.dumps({"stream": result["stream"], "frame": result["frame"],
                                    "shape": list(frame.shape), "kind": result["kind"]}) + "\\n")
        self.lines += 1

    def close(self):
        self.file.close()
        return {"file": self.path.name, "lines": self.lines, "built_for": self.built_for}


def probe(context):
    """A run mode: one inference on every running backend, with zeros; what came out."""
    import numpy as np

    out = {}
    for name, backend in context.backend_objects.items():
        inputs = [np.zeros(d["shape"], d["dtype"]) for d in backend.input_details]
        outputs = backend.infer(inputs)
        out[str(name)] = {"outputs": [list(o.shape) for o in outputs], "mode": context.config.run.mode}
    return {"probed": out, "backends": len(out)}


spec = PluginSpec(name="framelog", description="a sink and a run mode",
                  contributes={"sink": {"framelog": FrameLog}, "mode": {"probe": probe}})
# judged fine (so validation knows its mode), then declines at init: its mode is never registered
shy = PluginSpec(name="shy", activate=lambda context: False, contributes={"mode": {"shy_probe": probe}})
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return pip_install(tmp_path_factory.mktemp("framelog"), "coral-test-framelog", "0.3",
                       {"coral_test_framelog.py": PLUGIN},
                       {"coral_inference.workflows": {"framelog": "coral_test_framelog:spec",
                                                      "shy": "coral_test_framelog:shy"}})


def test_a_plugin_sink_through_coral_run(tmp_path, site):
    video = write_video(tmp_path / "clip.mp4", frames=9)
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"streams.a.source={video}",
                   f"streams.b.source={video}", "streams.a.sinks.framelog=true", f"hydra.run.dir={run_dir}",
                   cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [summary] = summaries(run_dir)
    streams = summary["results"]["pipeline"]["streams"]
    assert streams["a"]["sinks"]["framelog"] == {"file": "framelog-a.jsonl", "lines": 9, "built_for": "RuntimeContext"}
    assert streams["a"]["sink_writes"]["framelog"] == {"written": 9, "failed": 0, "error": None}
    assert "framelog" not in streams["b"]["sinks"] and not (run_dir / "framelog-b.jsonl").exists()  # off by default
    lines = [json.loads(line) for line in (run_dir / "framelog-a.jsonl").read_text().splitlines()]
    assert [line["frame"] for line in lines] == list(range(9))
    assert all(line["stream"] == "a" and line["shape"] == [120, 160, 3] for line in lines)
    details = {d["name"]: d for d in summary["plugins"]["details"]}
    assert details["framelog"]["status"] == "loaded"
    assert details["framelog"]["distribution"] == {"name": "coral-test-framelog", "version": "0.3"}


def test_a_plugin_run_mode_through_coral_run(tmp_path, site):
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "run.mode=probe", "backends=cpu", f"hydra.run.dir={run_dir}", cwd=tmp_path,
                   env={"PYTHONPATH": str(site)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [summary] = summaries(run_dir)
    assert summary["status"] == "ok" and summary["config"]["run"]["mode"] == "probe"
    probe = summary["results"]["probe"]
    assert probe["backends"] == 1
    [(_, found)] = probe["probed"].items()
    assert found == {"outputs": [[1, 4]], "mode": "probe"}  # builtin:selftest: 4 outputs


def test_unknown_sink_and_mode_names_list_the_plugins_ones(tmp_path, site):
    video = write_video(tmp_path / "clip.mp4", frames=2)
    proc = run_cli("coral-run", "run.mode=prob", "backends=cpu", f"streams.a.source={video}",
                   "streams.a.sinks.framelg=true", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path,
                   env={"PYTHONPATH": str(site)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    mode = next(line for line in proc.stderr.splitlines() if "run.mode:" in line)
    assert "no run mode 'prob'; did you mean 'probe'?" in mode and "from command line" in mode
    assert "init | validate | bench | pipeline | serve | probe" in mode
    sink = next(line for line in proc.stderr.splitlines() if "streams.a.sinks.framelg" in line)
    assert "did you mean 'framelog'?" in sink and "framelog (plugin coral-test-framelog)" in sink
    # without the plugin the same names do not exist
    bare = run_cli("coral-run", "run.mode=probe", "backends=cpu", f"hydra.run.dir={tmp_path}/bare", cwd=tmp_path)
    assert bare.returncode == 2 and "no run mode 'probe'" in bare.stderr


def test_a_mode_whose_plugin_declines_at_init_is_exit_2_with_the_summary(tmp_path, site):
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "run.mode=shy_probe", "backends=cpu", f"hydra.run.dir={run_dir}",
                   cwd=tmp_path, env={"PYTHONPATH": str(site)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "run.mode: no run mode 'shy_probe' among the loaded plugins" in proc.stderr
    [summary] = summaries(run_dir)
    assert summary["status"] == "failed" and "shy_probe" not in summary.get("results", {})
    assert {d["name"]: d["status"] for d in summary["plugins"]["details"]}["shy"] == "declined"
