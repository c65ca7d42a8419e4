"""Plugins' default_config_overrides are bounded (issue 24, item 5): a plugin with deeply nested or very many
defaults is reported and left out — it never breaks every command — and the layer costs linear time in its
number of keys (it was merged key by key: the square)."""

from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from plugin_dists import write_dist
from coral_inference.config.plugin_defaults import MAX_DEPTH, _depth, _put


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.integers(), lambda c: st.lists(c, max_size=2) | st.dictionaries(st.text(max_size=2), c,
                                                                                          max_size=2), max_leaves=20))
def test_depth_counts_nesting(value):
    def reference(v):
        children = list(v.values()) if isinstance(v, dict) else v if isinstance(v, list) else []
        return max((1 + reference(x) for x in children), default=0)

    expected = reference(value)
    assert _depth(value) == expected or (expected > MAX_DEPTH and _depth(value) > MAX_DEPTH)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from("abc"), min_size=1, max_size=3), st.integers()), max_size=30))
def test_the_plain_tree_holds_what_merging_key_by_key_gives(items):
    from omegaconf import OmegaConf

    tree, node = {}, OmegaConf.create({})
    for parts, value in items:
        _put(tree, parts, value)
        nested = value
        for part in reversed(parts):
            nested = {part: nested}
        try:
            node = OmegaConf.merge(node, nested)
        except Exception:  # noqa: BLE001 - a value over a mapping: merging refuses, the tree replaces
            return
    assert OmegaConf.to_container(node) == tree


DEEP = textwrap.dedent('''
    from coral_inference.plugins import PluginSpec

    deep = 1
    for _ in range(5000):
        deep = {"x": deep}
    many = {f"plugins.config.many.k{i}": i for i in range(20000)}

    class Patch:
        description = "bounded defaults"

        def enable(self, context):
            return True

        def disable(self, context):
            pass

    deep_spec = PluginSpec(name="deep", type="patch", patch=Patch(),
                           default_config_overrides={"plugins.config.deep.x": deep})
    many_spec = PluginSpec(name="many", type="patch", patch=Patch(), default_config_overrides=many)
''')


def test_a_plugin_with_deep_or_many_defaults_breaks_no_command(tmp_path):
    root = write_dist(tmp_path / "dist", "coral-test-defaults", "0.1", {"coral_test_defaults.py": DEEP},
                      {"coral_inference.patches": {"deep": "coral_test_defaults:deep_spec",
                                                   "many": "coral_test_defaults:many_spec"}})
    proc = run_cli("coral-runtime", "config", "validate", cwd=tmp_path, env={"PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr
    proc = run_cli("coral-run", "run.mode=validate", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path,
                   env={"PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr
