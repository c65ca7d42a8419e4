"""Shared test helpers: the real Coral test data (skipped when absent), composition, subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORAL_DATA = REPO.parent / "shared" / "coral-test-data"


def coral_file(name: str) -> Path:
    """A file from ../shared/coral-test-data, or skip the test with the reason."""
    path = CORAL_DATA / name
    if not path.is_file():
        pytest.skip(f"Coral test data not present: {path}")
    return path


def console_script(name: str) -> str:
    """Path of an installed console script next to this Python (the venv's bin)."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"console script {name!r} is not installed; run: pip install -e '.[test]'")
    return found


def run_cli(name: str, *args: str, cwd: Path, env: dict | None = None, timeout: float = 120):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CORAL_")}
    full_env.update(env or {})
    return subprocess.run([console_script(name), *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def summaries(root: Path, filename: str = "runtime_summary.json") -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(root.rglob(filename))]


@pytest.fixture
def compose():
    """compose(*overrides) -> DictConfig, through Hydra's compose API on the shipped conf/."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_module

    from coral_inference import CONF_MODULE, HYDRA_VERSION_BASE
    from coral_inference.config.schema import register

    register()

    def _compose(*overrides: str):
        with initialize_config_module(CONF_MODULE, version_base=HYDRA_VERSION_BASE):
            return hydra_compose("config", overrides=list(overrides))

    return _compose
