"""coral-run's --config-dir / --config-name when NAME is a descriptor (config/primary.py): the file
becomes the file layer on top of the shipped config, exactly as ``coral-runtime -c FILE``."""

from __future__ import annotations

import sys
from typing import Any

from ..errors import EXIT_CONFIG, ConfigError

_DIR = ("-cd", "--config-dir")
_NAME = ("-cn", "--config-name")


def _options(argv: list[str]) -> tuple[dict[str, str], dict[str, int]]:
    """The values of --config-dir / --config-name (last wins, as in argparse) and where they are."""
    values: dict[str, str] = {}
    where: dict[str, int] = {}
    i = 1
    while i < len(argv):
        arg = argv[i]
        for key, flags in (("dir", _DIR), ("name", _NAME)):
            if arg in flags and i + 1 < len(argv):
                values[key], where[key] = argv[i + 1], i
            elif arg.startswith(tuple(f + "=" for f in flags)):
                values[key], where[key] = arg.split("=", 1)[1], i
        i += 1
    return values, where


def descriptor_primary(argv: list[str]) -> tuple[list[str], Any]:
    """(argv for Hydra, the file layer or None). With a descriptor as --config-name, Hydra composes the
    shipped config and the descriptor comes in as ``+coral_file=layer0`` (put before the env layer's
    overrides by the caller); a bad descriptor ends the run here (exit 2), like a bad CORAL_ value."""
    from ..config.primary import resolve

    values, where = _options(argv)
    primary = resolve(values.get("dir"), values.get("name"))
    if primary.layer is None:
        return argv, None
    layer = primary.layer
    if layer.issues.errors:
        try:
            layer.issues.raise_if_errors(f"Invalid descriptor {layer.source[len('file '):]}")
        except ConfigError as exc:
            print(f"coral-run: error: {exc.render()}", file=sys.stderr)
            raise SystemExit(EXIT_CONFIG) from None
    layer.store(0)
    out = list(argv)
    drop = set()
    for key in ("dir", "name"):
        if key in where and (key == "name" or primary.config_dir is None):
            i = where[key]
            drop |= {i} if "=" in out[i] else {i, i + 1}
    return [a for i, a in enumerate(out) if i not in drop], layer  # no --config-name: the shipped config
