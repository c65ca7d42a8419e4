"""The run lifecycle: the run directory is known before the first init step; patches are disabled and
plugins deactivated before the summary is written (their notes are in it); a failed built-in self-check
fails the backend (exit 3). Real coral-run / coral-runtime subprocesses with a real plugin distribution."""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import run_cli, summaries
from plugin_dists import write_dist
from coral_inference.errors import EXIT_BACKEND, BackendError
from coral_inference.runtime.config import RuntimeConfig
from coral_inference.runtime.init import init

PLUGIN = textwrap.dedent('''
    from coral_inference.plugins import PluginSpec


    def _where(context):
        return "run_dir=" + (str(context.run_dir) if context.run_dir is not None else "None")


    class Patch:
        description = "records the lifecycle"

        def enable(self, context):
            context.note("patches", "lifecycle enable " + _where(context))
            return True

        def disable(self, context):
            context.note("patches", "lifecycle patch disabled")


    def activate(context):
        context.note("plugins", "lifecycle activate " + _where(context))
        if context.run_dir is not None:
            (context.run_dir / "written_by_plugin.txt").write_text("activate")
        return True


    spec = PluginSpec(name="lifecycle", type="patch", patch=Patch(), activate=activate,
                      deactivate=lambda context: context.note("plugins", "lifecycle deactivated"))
''')


@pytest.fixture
def plugin_path(tmp_path):
    root = write_dist(tmp_path / "dist", "coral-test-lifecycle", "0.1", {"coral_test_lifecycle.py": PLUGIN},
                      {"coral_inference.patches": {"lifecycle": "coral_test_lifecycle:spec"}})
    return str(root)


def _messages(summary):
    return [entry["message"] for entry in summary["log"]]


def test_coral_run_plugin_and_patch_see_the_run_dir_and_their_close_notes_reach_the_summary(tmp_path, plugin_path):
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "backends=cpu", "++patches.lifecycle=true", f"hydra.run.dir={run_dir}",
                   cwd=tmp_path, env={"PYTHONPATH": plugin_path})
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(run_dir)
    messages = _messages(summary)
    assert f"lifecycle activate run_dir={run_dir}" in messages  # before the patches and backends
    assert f"lifecycle enable run_dir={run_dir}" in messages
    assert (run_dir / "written_by_plugin.txt").read_text() == "activate"
    # closing ran before the summary was written: patch first, then the plugin
    assert messages.index("lifecycle patch disabled") < messages.index("lifecycle deactivated")


def test_coral_runtime_init_summary_has_the_close_notes(tmp_path, plugin_path):
    out = tmp_path / "summary.json"
    proc = run_cli("coral-runtime", "init", "backends=cpu", "++patches.lifecycle=true", "--summary", str(out),
                   cwd=tmp_path, env={"PYTHONPATH": plugin_path})
    assert proc.returncode == 0, proc.stderr
    messages = _messages(json.loads(out.read_text()))
    assert "lifecycle patch disabled" in messages and "lifecycle deactivated" in messages


def test_run_dir_is_on_the_context_before_the_first_step(compose, tmp_path):
    seen = []
    init(RuntimeConfig.from_dictconfig(compose("backends=cpu")), run_dir=tmp_path,
         steps=(lambda context: seen.append(context.run_dir),))
    assert seen == [tmp_path]


def test_an_error_in_a_step_carries_the_context_so_the_caller_can_close_it(compose):
    def boom(context):
        context.note("test", "step ran")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError) as info:
        init(RuntimeConfig.from_dictconfig(compose("backends=cpu")), steps=(boom,))
    assert info.value.context.log[-1]["message"] == "step ran"


def test_close_notes_a_failing_part_and_still_releases_the_rest(compose):
    context = init(RuntimeConfig.from_dictconfig(compose("backends=cpu")))
    released = []

    class Service:
        def close(self):
            raise OSError("disk full")

    context.services["recording"] = Service()
    context.on_close.append(lambda: released.append("plugin"))
    context.close()
    context.close()  # a second close does nothing
    assert released == ["plugin"] and not context.backend_objects
    assert any(e["message"] == "recording: close raised OSError: disk full" for e in context.log)


def test_a_failed_selfcheck_fails_the_backend(compose, monkeypatch):
    """The interpreter runs a model whose numbers differ from numpy's reference: failed, not ok."""
    from coral_inference.backends import models, selftest

    w, b = selftest.weights()
    wrong = selftest.build_dense_model([[v + 1.0 for v in row] for row in w], b, description=selftest.DESCRIPTION)
    monkeypatch.setattr(models, "build_selftest_model", lambda: wrong)
    with pytest.raises(BackendError, match="self-check failed") as info:
        init(RuntimeConfig.from_dictconfig(compose("backends=cpu")))
    assert info.value.exit_code == EXIT_BACKEND
    [state] = info.value.context.backends
    assert state.status == "failed" and state.selfcheck["passed"] is False
    assert state.selfcheck["max_abs_error"] > state.selfcheck["tolerance"]
    info.value.context.close()


def test_coral_run_runs_the_model_in_a_process_without_hydra(tmp_path, plugin_path):
    """A single run replaces itself with the runner (cli/runner.py) once the configuration is checked: the
    process image that ran init, the patches and the plugin holds no Hydra or OmegaConf, has the same
    process id, and its summary is complete."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(
        "import atexit, os, sys\n"
        "atexit.register(lambda: open('images.txt', 'a').write(\n"
        "    f\"{os.getpid()} {'hydra' in sys.modules} {'omegaconf' in sys.modules} {'numpy' in sys.modules}\\n\"))\n")
    run_dir = tmp_path / "run"
    proc = run_cli("coral-run", "backends=cpu", "++patches.lifecycle=true", f"hydra.run.dir={run_dir}",
                   cwd=tmp_path, env={"PYTHONPATH": f"{tmp_path / 'site'}:{plugin_path}"})
    assert proc.returncode == 0, proc.stderr
    [image] = (tmp_path / "images.txt").read_text().splitlines()  # one exit: the runner's (exec, no child)
    _pid, hydra, omegaconf, numpy = image.split()
    assert (hydra, omegaconf, numpy) == ("False", "False", "True")
    [summary] = summaries(run_dir)
    assert summary["status"] == "ok" and summary["backends"][0]["selfcheck"]["passed"]
    assert summary["sources"]["model.path"] and summary["config"]["backends"]["enabled"]
    assert "lifecycle deactivated" in _messages(summary) and "coral-run: ok" in proc.stdout


def test_a_sweep_keeps_its_jobs_in_process_and_each_writes_its_summary(tmp_path):
    proc = run_cli("coral-run", "-m", "backends=cpu", "run.warmup=1,2", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                   cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(s["config"]["run"]["warmup"] for s in summaries(tmp_path / "sweep")) == [1, 2]
