"""The configuration reference is generated from the schema: every key is in it, with a description."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import List, Optional

from omegaconf import OmegaConf

from coral_inference.config import reference
from coral_inference.config.schema import CoralConfig


def test_every_key_of_the_schema_has_a_description():
    missing = [e.key for e in reference.entries() if not e.doc.strip()]
    assert not missing, ("keys without a description (write a comment beside the field in "
                         f"config/schema.py): {missing}")


def _leaves(node, prefix=""):
    for k, v in node.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            yield from _leaves(v, key + ".")
        else:
            yield key


def test_the_reference_lists_every_key_of_the_default_config():
    listed = {e.key for e in reference.entries()}
    config = OmegaConf.to_container(OmegaConf.structured(CoralConfig), enum_to_str=True)
    missing = [k for k in _leaves(config) if k not in listed]
    assert not missing
    # map entries (streams, models, backends.extra) are described by their entry's fields
    assert {"streams.<name>.source", "models.<name>.cpu_path", "backends.extra.<name>.devices"} <= listed


@dataclass
class _Sample:
    trailing: int = 1  # said on its line
    # said above,
    # over two lines
    above: Optional[str] = None
    bare: List[str] = field(default_factory=list)


def test_descriptions_come_from_the_comment_beside_or_above_a_field_and_none_is_invented():
    docs = reference.field_docs(_Sample)
    assert docs == {"trailing": "said on its line", "above": "said above, over two lines", "bare": ""}


def test_each_entry_has_type_default_range_and_the_groups_that_set_it():
    by_key = {e.key: e for e in reference.entries()}
    workers = by_key["backends.cpu.workers"]
    assert (workers.type, workers.default) == ("int", 1)
    assert workers.range and "integer" in workers.range
    assert by_key["run.mode"].type == "str" and "pipeline" in by_key["run.mode"].doc
    assert by_key["run.source"].type == "str or null"
    assert "platform=rpi_usb" in by_key["platform.edgetpu_types"].groups
    assert "streams=cameras_example" in by_key["streams.<name>.source"].groups
    assert by_key["streams"].section and by_key["streams.<name>.reconnect"].section


def test_describe_finds_the_entry_of_a_concrete_key():
    assert reference.describe("streams.front.max_fps").key == "streams.<name>.max_fps"
    assert reference.describe("services.webrtc.ice_servers[0].urls").key == "services.webrtc.ice_servers[].urls"
    assert reference.describe("no.such.key") is None


def test_the_page_has_a_row_for_every_key():
    page = reference.markdown()
    for e in reference.entries():
        assert f"`{e.key}`" in page


def test_config_explain_says_what_a_key_does():
    out = subprocess.run([sys.executable, "-m", "coral_inference.cli.runtime", "config", "explain",
                          "streams.front.max_fps", "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    (item,) = json.loads(out.stdout)["values"]
    assert item["doc"] == reference.describe("streams.front.max_fps").doc
