"""Real plugin distributions for tests: modules plus a ``<name>-<version>.dist-info`` folder (METADATA,
entry_points.txt) in a directory that goes on sys.path (in-process) or PYTHONPATH (subprocesses).
importlib.metadata finds them exactly as it finds a pip-installed package."""

from __future__ import annotations

import textwrap
from pathlib import Path

BROKEN = "import coral_no_such_module_xyz  # an import error inside the plugin\n"

# One module holding specs for every case; imported only through its entry points.
CASES = textwrap.dedent('''
    from coral_inference.plugins import PluginSpec


    class Patch:
        description = "a test patch"

        def enable(self, context):
            context.note("patches", "test_patch on")
            return True

        def disable(self, context):
            pass


    def _passthrough(**settings):  # a BlockFactory: factory(**settings) -> block(result, frame, stream)
        return lambda result, frame, stream: result


    def _wf(name, **kw):
        return PluginSpec(name=name, type="workflow", workflow=_passthrough, **kw)


    good_patch = PluginSpec(name="good_patch", type="patch", patch=Patch(), description="loads fine",
                            activate=lambda context: context.note("plugins", "good_patch activated") or True)
    core_too_old = _wf("core_too_old", min_core_version="99.0")
    inference_too_old = _wf("inference_too_old", min_inference_version="999.0")
    unmet_requires = _wf("unmet_requires", requires={"numpy": "<1.0", "coral-no-such-dist": ">=1"})
    everything_unmet = _wf("everything_unmet", min_core_version="99.0", min_inference_version="999.0",
                           requires={"numpy": "<1.0"})
    raises = _wf("raises", activate=lambda context: 1 / 0)
    declines = _wf("declines", activate=lambda context: False)
    wrong_type = 42
    backend_in_patch_group = PluginSpec(name="backend_in_patch_group", type="backend", backend=object)


    def needs_args(x):
        return _wf("never")


    def _ran(context):  # what an activate-only plugin does: something, noted in the run log
        context.note("plugins", "activate-only plugin ran")


    # Activate-only plugins (name + activate, type omitted: the group's), one per group
    only_activate_backend = PluginSpec(name="only_activate_backend", activate=_ran, min_core_version="0.1")
    only_activate_patch = PluginSpec(name="only_activate_patch", activate=_ran)
    only_activate_workflow = PluginSpec(name="only_activate_workflow", activate=_ran)
    # Needs a future core AND declares a patch object without enable(): both problems, together
    future_and_broken = PluginSpec(name="future_and_broken", type="patch", patch=object(), min_core_version="99.0")


    def good_list():
        return [_wf("good_workflow", description="from a zero-argument callable")]
''')

CASE_ENTRY_POINTS = {
    "coral_inference.backends": {
        "only_activate_backend": "coral_test_plugins:only_activate_backend",
    },
    "coral_inference.patches": {
        "good_patch": "coral_test_plugins:good_patch",
        "only_activate_patch": "coral_test_plugins:only_activate_patch",
        "future_and_broken": "coral_test_plugins:future_and_broken",
        "backend_in_patch_group": "coral_test_plugins:backend_in_patch_group",
    },
    "coral_inference.workflows": {
        "core_too_old": "coral_test_plugins:core_too_old",
        "inference_too_old": "coral_test_plugins:inference_too_old",
        "unmet_requires": "coral_test_plugins:unmet_requires",
        "everything_unmet": "coral_test_plugins:everything_unmet",
        "raises": "coral_test_plugins:raises",
        "declines": "coral_test_plugins:declines",
        "wrong_type": "coral_test_plugins:wrong_type",
        "needs_args": "coral_test_plugins:needs_args",
        "broken_import": "coral_test_broken:spec",
        "good_workflow": "coral_test_plugins:good_list",
        "only_activate_workflow": "coral_test_plugins:only_activate_workflow",
    },
}

EXPECTED_STATUS = {
    "good_patch": "loaded", "good_workflow": "loaded",
    "backend_in_patch_group": "failed", "core_too_old": "incompatible", "inference_too_old": "incompatible",
    "unmet_requires": "incompatible", "everything_unmet": "incompatible", "raises": "failed",
    "declines": "declined", "wrong_type": "failed", "needs_args": "failed", "broken_import": "failed",
    "only_activate_backend": "loaded", "only_activate_patch": "loaded", "only_activate_workflow": "loaded",
    "future_and_broken": "incompatible",
}


def write_dist(root: Path, name: str, version: str, modules: dict[str, str],
               entry_points: dict[str, dict[str, str]]) -> Path:
    """Write ``modules`` (file name -> source) and a dist-info for them into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for filename, source in modules.items():
        (root / filename).write_text(source)
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = []
    for group, eps in entry_points.items():
        lines.append(f"[{group}]")
        lines += [f"{ep} = {target}" for ep, target in eps.items()]
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines))
    return root


def write_cases(root: Path) -> Path:
    return write_dist(root, "coral-test-plugins", "1.2.3",
                      {"coral_test_plugins.py": CASES, "coral_test_broken.py": BROKEN}, CASE_ENTRY_POINTS)


def write_overrides_plugin(root: Path, overrides: dict, name: str = "filler") -> Path:
    source = ("from coral_inference.plugins import PluginSpec\n"
              "def factory(**settings):\n    return lambda result, frame, stream: result\n"
              f"spec = PluginSpec(name={name!r}, type='workflow', workflow=factory, default_config_overrides={overrides!r})\n")
    return write_dist(root, f"coral-test-{name}", "0.1", {f"coral_test_{name}.py": source},
                      {"coral_inference.workflows": {name: f"coral_test_{name}:spec"}})


def pip_install(root: Path, name: str, version: str, modules: dict[str, str],
                entry_points: dict[str, dict[str, str]]) -> Path:
    """A real project (pyproject.toml + ``modules``) under ``root/src``, pip-installed into ``root/site``
    (no deps, no index, no build isolation: nothing downloads); returns the site folder, for sys.path or
    PYTHONPATH. What a plugin author's ``pip install .`` does, without touching the test's environment."""
    import subprocess
    import sys

    source, site = root / "src", root / "site"
    source.mkdir(parents=True)
    for filename, text in modules.items():
        (source / filename).write_text(text)
    eps = "".join(f'\n[project.entry-points."{group}"]\n' + "".join(f'{ep} = "{target}"\n' for ep, target in targets.items())
                  for group, targets in entry_points.items())
    py_modules = sorted(f[:-3] for f in modules if f.endswith(".py"))
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n{eps}\n'
        f'[tool.setuptools]\npy-modules = {py_modules!r}\n'.replace("'", '"'))
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(site), str(source)], capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"pip install {source} failed:\n{proc.stdout}{proc.stderr}")
    return site
