"""Patches: documented order, version gating, reasons, disable on close, no OpenCV import unless needed."""

import subprocess
import sys

import pytest

from coral_inference.patches.base import Patch, unsupported
from coral_inference.plugins.registry import new_registry
from coral_inference.runtime.patches import ORDER


class Recorder(Patch):
    """A third-party-style patch that records what happened to it."""

    source = "example-dist"
    events: list = []

    def __init__(self, name, supports=None):
        super().__init__()
        self.name, self.description = name, f"test patch {name}"
        self.supports = supports or {}

    def start(self, context):
        self.events.append(("enable", self.name))
        return True

    def disable(self, context):
        self.events.append(("disable", self.name))


@pytest.fixture
def registry():
    """A registry for one test: patches added here replace the built-ins of the same name."""
    return new_registry()


@pytest.fixture
def registered(registry):
    def _register(patch):
        registry.add("patch", patch.name, patch, source=patch.source, replace=True)
        return patch

    Recorder.events = []
    return _register


@pytest.fixture
def runtime_context(runtime_context, registry):
    return lambda *overrides: runtime_context(*overrides, registry=registry)


def statuses(context):
    return {p.name: p.status for p in context.patches}


def test_applied_in_the_documented_order_then_alphabetical(runtime_context, registered):
    for name in ORDER + ("zz_extra", "aa_extra"):
        registered(Recorder(name))
    overrides = [f"+patches.{n}=true" for n in ("zz_extra", "aa_extra")]
    context = runtime_context("patches=default", *overrides)
    assert [p.name for p in context.patches] == list(ORDER) + ["aa_extra", "zz_extra"]
    assert [e for e in Recorder.events if e[0] == "enable"] == [("enable", n) for n in ORDER + ("aa_extra", "zz_extra")]
    assert {p.source for p in context.patches} == {"example-dist"}
    context.close()
    assert [e[1] for e in Recorder.events if e[0] == "disable"] == list(reversed(ORDER + ("aa_extra", "zz_extra")))


def test_version_gating_skips_with_the_reason(runtime_context, registered):
    registered(Recorder("old_cv", supports={"opencv": ">=4.5,<5"}))
    registered(Recorder("opencv_threads", supports={"opencv": ">=4.5,<6"})).versions = {"opencv": "6.1.0"}
    registered(Recorder("needs_cv", supports={"opencv": ">=4.5"})).versions = {"opencv": None}
    context = runtime_context("patches=default", "+patches.old_cv=true", "+patches.needs_cv=true")
    from coral_inference.patches.base import installed_version

    found = installed_version("opencv")
    status = statuses(context)
    expected_camera = "enabled" if found.startswith("4.") else f"skipped: opencv {found} outside >=4.5,<5"
    assert status["old_cv"] == expected_camera
    assert status["opencv_threads"] == "skipped: opencv 6.1.0 outside >=4.5,<6"
    assert status["needs_cv"] == "skipped: opencv not installed (pip install 'coral_inference[opencv]')"
    assert ("enable", "opencv_threads") not in Recorder.events


def test_unsupported_reads_installed_metadata():
    assert unsupported({"opencv": ">=4.5,<99"}) is None
    assert unsupported({"opencv": "<1"}).startswith("opencv ")


def test_builtin_results_and_reasons(runtime_context):
    context = runtime_context("patches=default", "patches.webrtc=false")
    status = statuses(context)
    assert status["opencv_threads"] == "enabled"
    assert set(status) == {"opencv_threads", "webrtc"}  # sinks are switched by services/streams, not patches
    assert status["webrtc"] == "disabled by config"
    detail = {p.name: p.detail for p in context.patches}
    assert "nothing to cap" in detail["opencv_threads"]  # run.mode=init: OpenCV never loaded


def test_opencv_threads_caps_and_restores(runtime_context, tmp_path):
    import cv2

    before = cv2.getNumThreads()
    (tmp_path / "v.mp4").touch()
    context = runtime_context("run.mode=pipeline", f"run.source={tmp_path}/v.mp4", "platform.cpu_cores=4")
    assert cv2.getNumThreads() == 2
    state = next(p for p in context.patches if p.name == "opencv_threads")
    assert state.detail == f"cv2.setNumThreads(2) (was {before})"
    context.close()
    assert cv2.getNumThreads() == before


def test_webrtc_patch_is_the_serve_preview_only(runtime_context):
    context = runtime_context("services=full")  # run.mode=init
    state = next(p for p in context.patches if p.name == "webrtc")
    assert state.status == "skipped: run.mode=init has no live preview (run.mode=serve serves one)"
    assert "webrtc" not in context.services
    context = runtime_context("services.webrtc.enabled=false")
    state = next(p for p in context.patches if p.name == "webrtc")
    assert state.status == "skipped: services.webrtc.enabled is false"


def test_default_run_does_not_import_opencv(tmp_path):
    """Checked in the process that ran the model (coral-run's runner, cli/runner.py): at its exit."""
    from conftest import run_cli

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(
        "import atexit, sys\n"
        "atexit.register(lambda: open('modules.txt', 'a').write(f\"{'numpy' in sys.modules} {'cv2' in sys.modules}\\n\"))\n")
    proc = run_cli("coral-run", "hydra.run.dir=out", cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")})
    assert proc.returncode == 0, proc.stderr
    # the last process image ran the model (numpy imported: the check can see modules) and not OpenCV
    assert (tmp_path / "modules.txt").read_text().splitlines()[-1] == "True False"


def test_a_patch_name_nothing_implements_is_failed_not_enabled(runtime_context, tmp_path):
    context = runtime_context("patches=default", "+patches.webrtx=true")
    [state] = [p for p in context.patches if p.name == "webrtx"]
    assert state.enabled is False and context.patches_enabled["webrtx"] is False
    assert state.status.startswith("failed: no patch named 'webrtx'; did you mean 'webrtc'?")
    assert "webrtx" not in context.patch_objects
    context.close()
    from conftest import run_cli

    proc = run_cli("coral-run", "+patches.camra=true", f"hydra.run.dir={tmp_path / 'r'}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "patches failed: camra (no patch named 'camra'" in proc.stdout


def test_a_bad_patch_object_fails_in_its_own_try_and_the_others_stay_enabled(runtime_context, registered):
    bad = registered(Recorder("zz_bad"))
    bad.supports = ["opencv>=4"]  # not a mapping: checked inside the patch's own try
    registered(Recorder("aa_good"))
    context = runtime_context("patches=none", "+patches.zz_bad=true", "+patches.aa_good=true", "+patches.zz_off=false")
    status = statuses(context)
    assert status["zz_bad"] == "failed: TypeError: supports is list, not a mapping component -> specifier"
    assert status["aa_good"] == "enabled" and ("enable", "zz_bad") not in Recorder.events
    assert context.status == "ok" and list(context.patch_objects) == ["aa_good"]
    sources = {p.name: p.source for p in context.patches}
    assert sources["zz_bad"] == sources["aa_good"] == "example-dist"  # the registering distribution
    assert sources["zz_off"] is None  # disabled and implemented by nothing: not "builtin"
    context.close()
    assert ("disable", "aa_good") in Recorder.events


def test_a_disabled_plugin_patch_names_its_distribution(runtime_context, registered):
    registered(Recorder("plugged"))
    context = runtime_context("patches=none", "+patches.plugged=false")
    [state] = [p for p in context.patches if p.name == "plugged"]
    assert state.status == "disabled by config" and state.source == "example-dist"
