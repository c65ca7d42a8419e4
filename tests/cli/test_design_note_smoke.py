"""The design note's CLI smoke test, as the note writes it: from the project root,
``coral-runtime init -c tests/fixtures/runtime_minimal.yaml`` and ``apply`` with the same file, through
the installed console script; the JSON report says what was initialised, and nothing is written."""

from __future__ import annotations

import json

import pytest

from conftest import REPO, run_cli

FIXTURE = "tests/fixtures/runtime_minimal.yaml"  # relative, as in the note: run from the project root


def files_of(root):
    """The checkout's changed and untracked files (git status)."""
    import subprocess

    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=root, capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.parametrize("verb", ["init", "apply"])
def test_the_notes_smoke_command_initialises_the_runtime(verb):
    before = files_of(REPO)
    proc = run_cli("coral-runtime", verb, "-c", FIXTURE, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("coral-runtime init: ok") and "backend cpu [cpu on cpu]: ok" in proc.stdout
    proc = run_cli("coral-runtime", verb, "-c", FIXTURE, "--json", cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "ok" and doc["error"] is None
    assert doc["choices"]["platform"] == "auto" and doc["choices"]["backends"] == "cpu"
    assert doc["platform"]["name"] == "cpu"  # platform=auto on a machine with no board and no Edge TPU
    [backend] = doc["backends"]
    assert (backend["name"], backend["status"], backend["device"]) == ("cpu", "ok", "cpu")
    assert backend["selfcheck"]["passed"] is True
    assert {p["name"]: p["enabled"] for p in doc["patches"]}["opencv_threads"] is True
    assert doc["plugins"]["contract_version"] == 2 and doc["plugins"]["loaded"] == {}
    assert doc["sources"]["backends.enabled"][-1]["source"] == f"conf/backends/cpu.yaml (selected by file {FIXTURE})"
    assert files_of(REPO) == before  # init reports; it writes nothing
