"""No docstring or comment names a file that does not exist: every ``*.py`` / ``*.md`` path written in
the docstrings and comments of the package, the tests, the example plugin and bench/ resolves to a file
of this checkout (a maintainer who follows "see streams/sinkqueue.py" finds it). A name resolves from the
project root, coral_inference/, tests/, the folder of the file that names it or any folder above it, or,
for a bare name such as ``hub.py``, a folder named in the same text ("streams/events/ (hub.py)")."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from hypothesis import given, strategies as st

from conftest import REPO

ROOTS = ("coral_inference", "tests", "examples", "bench")
# a path ending in .py or .md that is not part of a longer path, a URL or a glob (``*.py``: no name)
NAMED = re.compile(r"(?<![\w./*<>:-])((?:\.\./)*[\w-][\w.-]*(?:/[\w.-]+)*\.(?:py|md))(?![\w/-])")
FOLDER = re.compile(r"(?<![\w./-])((?:\.\./)*[\w-][\w.-]*(?:/[\w.-]+)*/)")


def prose(source: str):
    """(line, text) of every comment and docstring of a module's source."""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            yield tok.start[0], tok.string
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                yield node.body[0].lineno, doc


def missing(text: str, where: Path, repo: Path = REPO) -> list[str]:
    """The paths ``text`` (prose of the file ``where``) names that resolve to no file."""
    named = [m.group(1) for m in NAMED.finditer(text)]
    bases = [repo, repo / "coral_inference", repo / "tests", *[p for p in where.parents if p == repo or repo in p.parents]]
    # the folders the same text names (``streams/events/``, the folder of ``services/mqtt.py``): bare names
    # written beside them ("services/mqtt.py, webhook.py") are theirs
    folders = [f.group(1) for f in FOLDER.finditer(text)] + [n.rsplit("/", 1)[0] for n in named if "/" in n]
    out = []
    for name in named:
        places = [b / name for b in bases]
        if "/" not in name:
            places += [b / folder / name for b in bases for folder in folders]
        if not any(p.is_file() for p in places):
            out.append(name)
    return out


def sources():
    for root in ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            if not {".venv", "build", "__pycache__"} & set(path.relative_to(REPO).parts):
                yield path


def test_every_file_a_docstring_or_comment_names_exists():
    problems = []
    for path in sources():
        for line, text in prose(path.read_text()):
            problems += [f"{path.relative_to(REPO)}:{line}: names {name}, which does not exist"
                         for name in missing(text, path)]
    assert not problems, "\n".join(problems) + "\n(name the file that holds it, or leave the path out)"


def test_the_scan_finds_a_missing_name_and_resolves_present_ones(tmp_path):
    (tmp_path / "pkg" / "streams" / "events").mkdir(parents=True)
    for name in ("pkg/streams/reader.py", "pkg/streams/events/hub.py", "docs.md"):
        (tmp_path / name).write_text("")
    here = tmp_path / "pkg" / "streams" / "manager.py"
    assert missing("see streams/reader.py and streams/sinkqueue.py", here, tmp_path) == ["streams/sinkqueue.py"]
    assert missing("the hub (streams/events/hub.py) and INTERFACES.md, docs.md", here, tmp_path) == ["INTERFACES.md"]
    assert missing("events live in streams/events/ (hub.py, tracking.py)", here, tmp_path) == ["tracking.py"]
    assert missing("reader.py beside this file", here, tmp_path) == []  # the file's own folder
    assert missing("*.py files, https://example.org/x.md, sweep_summary.json, .csv and .md", here, tmp_path) == []
    assert list(prose('"""doc: a.py"""\nx = "b.py"  # c.md\ndef f():\n    "d.py"\n')) == \
        [(2, "# c.md"), (1, "doc: a.py"), (4, "d.py")]


@given(st.from_regex(r"[a-z_]{1,8}(/[a-z_]{1,8}){0,2}\.(py|md)", fullmatch=True))
def test_a_path_that_is_not_there_is_always_reported(name):
    nowhere = REPO / "tests" / "ground" / "no such folder"  # as the project root: nothing is there
    assert missing(f"see {name}, there", nowhere / "pkg" / "x.py", nowhere) == [name]
