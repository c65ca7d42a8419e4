"""Build tests/helpers/fake_edgetpu_delegate.c into a shared library with the machine's C compiler."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE = Path(__file__).with_name("fake_edgetpu_delegate.c")


def build(folder: Path) -> Path:
    """The path of the built library; skips the test when no C compiler is installed."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler (cc/gcc/clang) to build the fake delegate library")
    out = folder / "libfake_edgetpu.so"
    proc = subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-o", str(out), str(SOURCE)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"building the fake delegate failed:\n{proc.stderr}")
    return out
