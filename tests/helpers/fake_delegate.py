"""Build tests/helpers/fake_edgetpu_delegate.c (a delegate that claims no node) into a shared library with
the machine's C compiler. The Edge TPU timing double, which claims the Edge TPU nodes, is edgetpu_double.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgetpu_double import Unavailable, compile_library

SOURCE = Path(__file__).with_name("fake_edgetpu_delegate.c")


def build(folder: Path) -> Path:
    """The path of the built library; skips the test when no C compiler is installed."""
    try:
        return compile_library(SOURCE, folder / "libfake_edgetpu.so")
    except Unavailable as exc:
        pytest.skip(str(exc))
    except RuntimeError as exc:
        pytest.fail(str(exc))
