"""``--config-dir DIR --config-name NAME``, read the same way by coral-run and coral-runtime.

NAME's file in DIR is one of two things:
  * a Hydra primary config that builds on the shipped one (its ``defaults:`` list names ``config``):
    Hydra composes it as the primary config, DIR on the search path before the shipped conf/;
  * a descriptor (the shape ``coral-runtime -c FILE`` reads: group selections and values in the
    schema's shape, no ``config`` in its defaults): it becomes the file layer
    (``RuntimeDescriptor.from_file``) on top of the shipped ``config``, exactly as ``-c FILE`` does.
So one deployment file works with both CLIs, and ``config explain`` names the source coral-run uses.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from .descriptor import RuntimeDescriptor

SHIPPED = "config"  # the shipped primary config (conf/config.yaml)
_BUILDS_ON = {SHIPPED, "coral_schema"}  # a defaults entry that makes a file a Hydra primary config


@dataclass
class Primary:
    config_name: str  # what Hydra composes as the primary config
    config_dir: str | None  # put on the search path before the shipped conf/ (None: none)
    layer: RuntimeDescriptor | None = None  # the descriptor's file layer, when NAME is a descriptor


def config_path(config_dir: str, config_name: str) -> str:
    name = config_name if config_name.endswith((".yaml", ".yml")) else f"{config_name}.yaml"
    return os.path.normpath(os.path.join(config_dir, name))


def is_descriptor(data: Any) -> bool:
    """A mapping whose defaults list (if any) does not build on the shipped config."""
    if not isinstance(data, dict):
        return False
    for item in data.get("defaults") or []:
        if isinstance(item, str) and item.strip().lstrip("/") in _BUILDS_ON:
            return False
    return True


def resolve(config_dir: str | None, config_name: str | None) -> Primary:
    """What to compose for these two options (both optional, as in Hydra)."""
    name = config_name or SHIPPED
    if not config_dir:
        return Primary(name, None)
    path = config_path(config_dir, name)
    from ..errors import ConfigError
    from ..files import FileProblem, check_config_folder, load_yaml_checked

    if os.path.isdir(config_dir):  # Hydra reads DIR's files without limits: each is checked first
        problems = check_config_folder(config_dir)
        if problems:
            raise ConfigError(f"--config-dir {config_dir}: {len(problems)} file(s) cannot be read safely",
                              problems=problems)

    try:  # a regular file of bounded size, checked YAML (a FIFO or an alias bomb is exit 2 naming it)
        data = load_yaml_checked(path, "config file", "config", key="--config-name")
    except FileProblem as exc:
        if exc.reason == "not found" or exc.reason.startswith("YAML syntax error"):
            return Primary(name, config_dir)  # missing or unparsable: Hydra reports it, as before
        raise
    if not is_descriptor(data):
        return Primary(name, config_dir)
    # A descriptor named like the shipped config would shadow it on the search path: then DIR is only
    # where the descriptor was read from.
    keep_dir = os.path.splitext(os.path.basename(path))[0] != SHIPPED
    return Primary(SHIPPED, config_dir if keep_dir else None, RuntimeDescriptor.from_file(path))


@contextmanager
def hydra_context(config_dir: str | None = None) -> Iterator[None]:
    """Hydra initialised as coral-run's @hydra.main does: the shipped conf/ module, and DIR (if any)
    prepended before it (Hydra's own --config-dir rule), for the compose API."""
    from hydra.core.config_search_path import SearchPathQuery
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import SearchPathException
    from hydra.initialize import get_gh_backup, restore_gh_from_backup
    from hydra.version import setbase

    from .. import CONF_MODULE, HYDRA_VERSION_BASE
    from .hydra_internal import get

    Hydra = get("hydra._internal.hydra:Hydra")
    create_automatic_config_search_path = get("hydra._internal.utils:create_automatic_config_search_path")

    backup = get_gh_backup()
    try:
        setbase(HYDRA_VERSION_BASE)
        GlobalHydra.instance().clear()
        search_path = create_automatic_config_search_path(None, f"{CONF_MODULE}.app", None)
        if config_dir:
            absolute = os.path.abspath(config_dir)
            if not os.path.isdir(absolute):
                raise SearchPathException(f"Additional config directory '{absolute}' not found")
            search_path.prepend(provider="command-line", path=f"file://{absolute}",
                                anchor=SearchPathQuery(provider="schema"))
        Hydra.create_main_hydra2("app", search_path)
        yield
    finally:
        restore_gh_from_backup(backup)
