"""Install check: build the wheel, install it non-editable into a fresh venv, run the console
scripts from an empty folder (conf/ must come from the wheel, not from this checkout).

The new venv gets no network: its dependencies are borrowed from the running environment with a
.pth file (a path listed there is not scanned for further .pth files, so this checkout's editable
install does not leak in)."""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    wheels = tmp / "wheels"
    # Build from a copy: an in-place build leaves build/ and *.egg-info in the checkout, and a stale
    # build/lib could ship files that no longer exist.
    source = tmp / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "outputs", "multirun", "examples"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(wheels), str(source)], capture_output=True, text=True)
    if built.returncode:
        pytest.fail(f"building the wheel failed (the [test] extra brings setuptools>=70.1):\n{built.stderr}")
    [wheel] = wheels.glob("coral_inference-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    parent = [p for p in sys.path if p.endswith("site-packages")]
    parent += [p for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]) if p not in parent]
    Path(site, "_parent_env.pth").write_text("\n".join(parent) + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, text=True)
    return venv


def _run(venv, *args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORAL_", "PYTHONPATH"))}
    return subprocess.run([str(venv / "bin" / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180)


def test_wheel_ships_conf_and_runs_from_an_empty_folder(wheel_venv, tmp_path):
    where = _run(wheel_venv, "python", "-c", "import coral_inference, importlib.resources as r;"
                 "print(coral_inference.__file__); print(r.files('coral_inference.conf').joinpath('config.yaml').is_file())",
                 cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    module_file, has_conf = where.stdout.split()
    assert str(wheel_venv) in module_file and str(REPO) not in module_file
    assert has_conf == "True"
    proc = _run(wheel_venv, "coral-run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.glob("outputs/*/*/runtime_summary.json"))



def test_wheel_coral_runtime_validates_from_an_empty_folder(wheel_venv, tmp_path):
    proc = _run(wheel_venv, "coral-runtime", "config", "validate", "backends=cpu", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr

