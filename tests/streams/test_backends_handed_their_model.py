"""Plugin contract 2: a backend factory is handed the model it serves, factory(name, spec, context, model)
(backends/build.py), once per (backend, model) pair the run uses: `model` at init, each other model a
stream runs on that backend by the stream manager. No fake config: the context a backend gets is the
run's. A contract-1 factory (name, spec, context) still serves `model`, and a stream that runs another
model on it is refused (exit 2) naming the stream's key and how to update the plugin."""

from __future__ import annotations

import pytest

from conftest import run_cli
from media import write_video


def recording_factory(calls):
    from coral_inference.backends.cpu import CpuBackend

    def factory(name, spec, context, model):  # contract 2
        calls.append((name, model.name, model.key, model.path, context))
        return CpuBackend(name, spec, context, model)

    return factory


def test_each_pair_is_built_by_the_factory_with_its_model(tmp_path, runtime_context):
    from coral_inference.plugins.registry import new_registry
    from coral_inference.streams.manager import StreamManager

    calls = []
    registry = new_registry()
    registry.add("backend", "cpu", recording_factory(calls), replace=True, source="test-dist")
    video = write_video(tmp_path / "clip.mp4", frames=4)
    context = runtime_context("run.mode=pipeline", "backends=cpu", "models.small.path=builtin:selftest",
                              f"streams.a.source={video}", f"streams.b.source={video}", "streams.b.model=small",
                              f"streams.c.source={video}", "streams.c.model=small", registry=registry)
    assert [(n, m, k, p) for n, m, k, p, _ in calls] == [("cpu", "default", "model", "builtin:selftest")]
    manager = StreamManager(context)
    # the pair (cpu, small) once, for both streams that run it; the context is the run's own
    assert [(n, m, k) for n, m, k, _, _ in calls] == [("cpu", "default", "model"), ("cpu", "small", "models.small")]
    assert all(c is context for *_, c in calls)
    assert manager.streams["b"].backend is manager.streams["c"].backend is not manager.streams["a"].backend
    assert manager.streams["b"].backend.model.key == "models.small"
    manager.start()
    assert manager.wait(timeout=60)
    manager.stop()
    summary = manager.summary()
    assert all(summary["streams"][s]["frames"] == 4 for s in "abc")
    assert sorted(summary["backends"]) == ["cpu", "cpu/small"]


class ContractOne:
    """A backend built for the previous contract: (name, spec, context); it reads context.config.model."""

    def __init__(self, name, spec, context):
        from coral_inference.backends.cpu import CpuBackend

        self.inner = CpuBackend(name, spec, context)

    def __getattr__(self, attr):
        return getattr(self.inner, attr)


def test_a_contract_1_factory_serves_model_and_refuses_another(tmp_path, runtime_context):
    from coral_inference.errors import ConfigError
    from coral_inference.plugins.registry import new_registry
    from coral_inference.streams.manager import StreamManager

    registry = new_registry()
    registry.add("backend", "cpu", ContractOne, replace=True, source="old-dist")
    video = write_video(tmp_path / "clip.mp4", frames=3)
    context = runtime_context("run.mode=pipeline", "backends=cpu", f"streams.a.source={video}", registry=registry)
    manager = StreamManager(context)  # `model`: what a contract-1 backend reads itself
    manager.start()
    assert manager.wait(timeout=60)
    manager.stop()
    assert manager.summary()["streams"]["a"]["frames"] == 3

    context = runtime_context("run.mode=pipeline", "backends=cpu", "models.small.path=builtin:selftest",
                              f"streams.b.source={video}", "streams.b.model=small", registry=registry)
    with pytest.raises(ConfigError) as caught:
        StreamManager(context)
    message = caught.value.render()
    assert message.startswith("streams.b.model: backend 'cpu' (kind 'cpu', from old-dist) follows plugin contract 1")
    assert "cannot be handed models.small" in message and "factory(name, spec, context, model)" in message


def test_the_example_plugins_backend_takes_its_model_through_coral_run(tmp_path):
    """examples/coral-plugin-example's backend factory is contract 2: a stream's own model runs on it."""
    import shutil
    import subprocess
    import sys

    from conftest import REPO, summaries

    example = REPO / "examples" / "coral-plugin-example"
    source, site = tmp_path / "src" / example.name, tmp_path / "site"
    shutil.copytree(example, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(site), str(source)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    video = write_video(tmp_path / "clip.mp4", frames=3)
    proc = run_cli("coral-run", "run.mode=pipeline", "backends=example_cpu", "models.small.path=builtin:selftest",
                   f"streams.a.source={video}", "streams.a.model=small", "hydra.run.dir=run", cwd=tmp_path,
                   env={"PYTHONPATH": str(site)})
    assert proc.returncode == 0, proc.stderr
    [summary] = summaries(tmp_path / "run")
    pipeline = summary["results"]["pipeline"]
    assert pipeline["streams"]["a"]["frames"] == 3 and "example_cpu/small" in pipeline["backends"]
    listing = run_cli("coral-runtime", "plugins", "list", "--json", cwd=tmp_path, env={"PYTHONPATH": str(site)})
    import json

    records = {r["name"]: r for r in json.loads(listing.stdout)["plugins"]}
    assert records["example_cpu"]["backend_contract"] == 2
