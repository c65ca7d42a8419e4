"""Every use of Hydra's private API goes through config/hydra_internal.py, written for hydra-core 1.3.x: on
another version (or a Hydra that lacks a name) both console scripts stop with one clear message, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

import coral_inference
from conftest import run_cli
from coral_inference.config import hydra_internal
from coral_inference.errors import ConfigError

PACKAGE = Path(coral_inference.__file__).parent


def test_every_private_name_in_use_exists_in_the_installed_hydra():
    import hydra

    assert hydra_internal.version_problem(hydra.__version__) is None
    for target in hydra_internal.USED:
        assert hydra_internal.get(target) is not None, target


def test_no_module_but_hydra_internal_touches_hydras_private_api():
    import ast

    private = ("hydra._internal", "hydra.core.utils")
    imports, named = [], set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "hydra_internal.py":
            continue
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            imports += [f"{path.relative_to(PACKAGE)}:{node.lineno} {m}" for m in modules if m.startswith(private)]
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(private):
                named.add(node.value)
    assert imports == []  # every private name is reached through hydra_internal.get / replace
    assert named == set(hydra_internal.USED)  # and USED lists exactly the names the code asks for


def test_versions():
    assert hydra_internal.version_problem("1.3.2") is None and hydra_internal.version_problem("1.3.8") is None
    assert hydra_internal.version_problem("1.4.0.dev1") == (
        "hydra-core 1.4.0.dev1 is installed; coral_inference uses Hydra's private API (hydra._internal …) as "
        "hydra-core 1.3.x has it")
    assert "1.2.0 is installed" in hydra_internal.version_problem("1.2.0")
    assert "not PEP 440" in hydra_internal.version_problem("banana")


def test_a_name_not_listed_is_refused():
    with pytest.raises(ValueError, match="not in hydra_internal.USED"):
        hydra_internal.get("hydra._internal.utils:get_args_parser")


def test_another_version_or_a_missing_name_is_one_config_error(monkeypatch):
    import hydra
    import hydra._internal.utils as utils

    monkeypatch.setattr(hydra, "__version__", "1.4.0")
    with pytest.raises(ConfigError) as raised:
        hydra_internal.get("hydra._internal.hydra:Hydra")
    assert raised.value.exit_code == 2
    assert raised.value.render() == (
        "coral_inference needs hydra-core 1.3.x\n  - hydra-core: hydra-core 1.4.0 is installed; coral_inference uses "
        "Hydra's private API (hydra._internal …) as hydra-core 1.3.x has it (value '1.4.0'; from the installed "
        "packages; expected hydra-core 1.3.x: pip install 'hydra-core>=1.3,<1.4')")
    monkeypatch.undo()
    monkeypatch.delattr(utils, "create_automatic_config_search_path")
    with pytest.raises(ConfigError) as raised:
        hydra_internal.get("hydra._internal.utils:create_automatic_config_search_path")
    assert ("hydra-core: this hydra-core has no hydra._internal.utils:create_automatic_config_search_path "
            "(AttributeError") in raised.value.render()


@pytest.mark.parametrize("command", [("coral-run",), ("coral-runtime", "config", "validate"),
                                     ("coral-runtime", "init")])
def test_the_console_scripts_stop_with_one_message_on_another_hydra(tmp_path, command):
    fake = tmp_path / "fake_hydra_version"
    fake.mkdir()  # imported at interpreter start-up, before the console script: Hydra says it is 1.4.0
    (fake / "sitecustomize.py").write_text("import hydra\nhydra.__version__ = '1.4.0'\n")
    proc = run_cli(*command, cwd=tmp_path, env={"PYTHONPATH": str(fake)})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "needs hydra-core 1.3.x" in proc.stderr and "hydra-core 1.4.0 is installed" in proc.stderr
    assert "pip install 'hydra-core>=1.3,<1.4'" in proc.stderr
    assert "Traceback" not in proc.stderr and "AttributeError" not in proc.stderr
    assert not (tmp_path / "outputs").exists()  # stopped before Hydra made a run folder
