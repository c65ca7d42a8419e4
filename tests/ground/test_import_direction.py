"""Imports run one way: cli -> runtime -> (backends, tasks, streams, services, patches, web) -> config ->
plugins -> ground (errors, lazy and the other top-level modules). Every module's AST is walked, imports
inside functions included, with the rules of ../shared/tools/import-direction (and the GUIDE)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "coral_inference"
PKG = PACKAGE.name

# part -> the parts it never imports (anything but cli itself never imports cli)
NEVER = {
    "plugins": {"config", "runtime", "backends", "tasks", "streams", "pipeline", "services", "patches", "web",
                "cli", "sweep"},
    "config": {"runtime", "backends", "tasks", "streams", "pipeline", "services", "patches", "web", "cli", "sweep"},
    "backends": {"runtime", "streams", "pipeline", "web", "cli"},
    "tasks": {"runtime", "streams", "pipeline", "web", "cli"},
    "streams": {"runtime", "web", "cli"},
    "pipeline": {"runtime", "web", "cli"},
    "services": {"runtime", "streams", "pipeline", "web", "cli"},
    "patches": {"runtime", "web", "cli"},
    "runtime": {"cli"},
    "web": {"cli"},
}

# No exception left: the cycle between backends/images.py and the old pipeline package's sources went with
# pipeline/ (now streams/).
ALLOWED: set = set()


def part(module: str) -> str | None:
    bits = module.split(".")
    return bits[1] if len(bits) > 1 and bits[0] == PKG else None


def imports(path: Path, package: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, function-level ones included."""
    rel = path.relative_to(package)
    module = ".".join((PKG,) + rel.with_suffix("").parts).removesuffix(".__init__")
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                head = ".".join(base[: len(base) - (node.level - 1)] + ([node.module] if node.module else []))
            else:
                head = node.module or ""
            out += [(node.lineno, f"{head}.{a.name}") for a in node.names] if node.module is None \
                else [(node.lineno, head)]
    return out


def violations(package: Path = PACKAGE) -> list[str]:
    bad = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        here = part(".".join((PKG,) + rel.with_suffix("").parts)) if len(rel.parts) > 1 else None
        for line, name in imports(path, package):
            there = part(name)
            if there is None or there == here:
                continue
            if there == "cli" and here != "cli" or there in NEVER.get(here, ()):
                where = f"{PKG}/{rel}"
                if (where, name) not in ALLOWED:
                    bad.append(f"{where}:{line}: {here or 'ground'} imports {name}")
    return bad


def test_imports_run_one_way():
    assert violations() == []


def test_config_imports_none_of_the_parts_that_consume_it():
    consumers = ("runtime", "backends", "pipeline", "services", "patches", "cli", "streams", "tasks", "web")
    found = [(p.name, name) for p in sorted((PACKAGE / "config").rglob("*.py")) for _line, name in imports(p)
             if part(name) in consumers]
    assert found == []


def test_the_walk_sees_function_level_and_relative_imports(tmp_path):
    """The checker can fail: a function-level relative import upward is found."""
    fake = tmp_path / PKG
    (fake / "config").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "config" / "__init__.py").write_text("")
    (fake / "config" / "bad.py").write_text("def f():\n    from ..runtime.context import RuntimeContext\n")
    (fake / "errors.py").write_text("import coral_inference.cli.run\n")
    assert violations(fake) == [f"{PKG}/config/bad.py:2: config imports {PKG}.runtime.context",
                                f"{PKG}/errors.py:1: ground imports {PKG}.cli.run"]
