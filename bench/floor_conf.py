"""A copy of a tree's conf/ for the floors (bench/hydra_floor.py): the same YAML, without the entries that
need our code (the typed schema node, the plugins' defaults node, our Hydra callbacks)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

OURS = ("coral_schema", "coral_plugin_defaults")


def tree_conf(python: str) -> Path:
    """The conf/ folder the coral_inference of this Python (a venv's) composes."""
    out = subprocess.run([python, "-c", "import coral_inference.conf as c, os; print(os.path.dirname(c.__file__))"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def make_floor_conf(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    config = dst / "config.yaml"
    lines = [ln for ln in config.read_text().splitlines() if not re.match(r"\s*-\s*(%s)\b" % "|".join(OURS), ln)]
    text = "\n".join(lines) + "\n"
    text = re.sub(r"\n  callbacks:\n(?:    .*\n|      .*\n)*", "\n", text)  # hydra.callbacks: our classes
    if re.search(r"^[^#]*coral_inference", text, flags=re.M):  # outside comments
        raise SystemExit(f"{config}: still names our code after the floor edits:\n{text}")
    config.write_text(text)
    return dst
