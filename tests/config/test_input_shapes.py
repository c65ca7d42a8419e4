"""Input shapes under streams.<name> and in config files (issue 24, item 5): each bad shape is a problem
naming its key, found up front (exit 2), never a TypeError, an overflow at run time or a hang.

Classes: unpaired surrogates anywhere in a YAML/JSON document; workflow items of the wrong shape;
block settings that are not of their type (no 'false' read as true); stream names anchored at the end;
camera indices in a range; derived quantities (1 / max_fps) bounded; list lengths bounded before
composition; a type error under streams.<name> names its own key."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from coral_inference.config.descriptor import RuntimeDescriptor as D
from coral_inference.config.descriptor import merge
from coral_inference.errors import ConfigError
from coral_inference.files import MAX_ITEMS, FileProblem, load_yaml_checked, surrogate_at
from coral_inference.streams import blocks
from coral_inference.streams.checks import source_kind, source_problem
from coral_inference.streams.spec import NAME_RE
from coral_inference.streams.workflow import check_blocks

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def config_or_problems(*overrides):
    comp = merge(D.from_cli(list(overrides))).compose()
    try:
        return comp.runtime_config(), []
    except ConfigError as exc:
        return None, exc.problems


# --- unpaired surrogates ------------------------------------------------------------------------

surrogate = st.integers(0xD800, 0xDFFF).map(chr)
plain = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)


@st.composite
def text_with_surrogate(draw):
    return draw(plain) + draw(surrogate) + draw(plain)


@st.composite
def documents_with_a_surrogate(draw):
    """A nested document with exactly one lone surrogate, in a key or a value, at some depth."""
    bad = draw(text_with_surrogate())
    path = draw(st.lists(st.sampled_from(["k", "list", "v"]), min_size=0, max_size=4))
    doc = bad if draw(st.booleans()) else {bad: 1}
    for step in reversed(path):
        doc = [1, doc] if step == "list" else {step: doc, "other": "x"}
    return doc


@FAST
@given(documents_with_a_surrogate(), st.sampled_from(["json", "yaml"]))
def test_a_lone_surrogate_anywhere_in_a_file_is_refused(tmp_path, doc, form):
    path = tmp_path / f"c.{form}"
    # json.dumps escapes the surrogate as \udXXX: exactly the text a user's file holds (JSON is YAML too)
    path.write_text(json.dumps(doc), encoding="ascii")
    assert surrogate_at(doc) is not None
    with pytest.raises(FileProblem) as err:
        load_yaml_checked(path)
    assert "unpaired surrogate" in err.value.reason


@FAST
@given(st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | plain,
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(plain, c, max_size=3), max_leaves=10))
def test_valid_text_is_never_called_a_surrogate(doc):
    assert surrogate_at(doc) is None


def test_a_surrogate_in_a_config_file_exits_2_naming_the_key(tmp_path):
    (tmp_path / "s.yaml").write_text('streams:\n  s:\n    workflow: [{block: label_filter, include: ["\\ud800"]}]\n')
    proc = run_cli("coral-runtime", "config", "validate", "-c", "s.yaml", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "streams.s.workflow[0].include[0]" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("coral-run", "--config-dir", str(tmp_path), "--config-name", "s", "run.mode=pipeline",
                   f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "unpaired surrogate" in proc.stderr and "Traceback" not in proc.stderr


# --- workflow items and block settings ----------------------------------------------------------

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | plain,
                           lambda c: st.lists(c, max_size=3) | st.dictionaries(plain, c, max_size=3), max_leaves=8)


@FAST
@given(st.lists(json_values | st.dictionaries(st.sampled_from(["block", "min_score", "drop_empty", "line",
                                                              "polygon", "include", "name"]), json_values,
                                             max_size=4), max_size=4))
def test_any_workflow_shape_gives_problems_never_an_exception(workflow):
    found = []
    check_blocks(workflow, "streams.s.workflow", lambda key, message, value, expected: found.append(key))
    assert all(key.startswith("streams.s.workflow[") for key in found)


def test_a_block_name_that_is_a_mapping_is_a_problem_at_its_key():
    found = {}
    check_blocks([{"block": {"x": 1}}], "streams.s.workflow",
                 lambda key, message, value, expected: found.setdefault(key, message))
    assert found == {"streams.s.workflow[0].block": "the block name is not text"}


@FAST
@given(json_values.filter(lambda v: not isinstance(v, bool)))
def test_a_switch_takes_only_true_or_false(value):
    with pytest.raises(ValueError):
        blocks.ScoreFilter(min_score=0.5, drop_empty=value)


@FAST
@given(st.one_of(st.text(max_size=5), st.booleans(), st.floats(allow_nan=True, allow_infinity=True)))
def test_numbers_are_not_coerced_from_text_or_bools(value):
    if isinstance(value, float) and value == value and abs(value) != float("inf") and 0 <= value <= 1:
        return  # a real number in range: fine
    with pytest.raises(ValueError):
        blocks.ScoreFilter(min_score=value)
    # a line's point (streams.<name>.lines.<line>.points): text and bools are refused by its check,
    # numbers out of 0..1 (NaN, infinities) by config/ranges.py
    from coral_inference.config.ranges import range_for
    from coral_inference.streams.events.checks import _points

    found = []
    ok = _points([[value, 0.5], [1.0, 0.5]], "streams.s.lines.l.points", lambda *a, **k: found.append(a),
                 "two points", lambda n: n == 2)
    assert not ok or range_for("streams.s.lines.l.points[0][0]").problem(value) is not None


def test_drop_empty_text_false_is_an_error_up_front():
    _, problems = config_or_problems("streams.s.source=0",
                                     "streams.s.workflow=[{block: score_filter, drop_empty: 'false'}]")
    assert any(p.key == "streams.s.workflow[0]" and "drop_empty" in p.message for p in problems)


def test_too_many_workflow_blocks_are_refused_before_composition(tmp_path):
    doc = {"streams": {"s": {"source": "0", "workflow": [{"block": "score_filter"}] * 20_000}}}
    (tmp_path / "big.json").write_text(json.dumps(doc))
    proc = run_cli("coral-runtime", "config", "validate", "-c", "big.json", cwd=tmp_path)
    assert proc.returncode == 2 and f"at most {MAX_ITEMS} items" in proc.stderr, proc.stderr
    doc["streams"]["s"]["workflow"] = doc["streams"]["s"]["workflow"][:300]
    (tmp_path / "b300.json").write_text(json.dumps(doc))
    proc = run_cli("coral-runtime", "config", "validate", "-c", "b300.json", cwd=tmp_path)
    assert proc.returncode == 2 and "streams.s.workflow: 300 items" in proc.stderr, proc.stderr


# --- names, camera indices, derived numbers, types under streams.<name> --------------------------

@FAST
@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True),
       st.sampled_from(["\n", "\r\n", " ", "\t", "/", ".", "\x00", "é"]))
def test_stream_names_are_anchored_at_both_ends(name, tail):
    assert NAME_RE.match(name)
    assert not NAME_RE.match(name + tail)


@FAST
@given(st.integers(0, 10**40))
def test_a_camera_index_is_in_range(index):
    problem = source_problem(str(index))
    assert (problem is None) == (index <= 1023), problem
    assert problem is None or "camera index" in problem


@FAST
@given(st.sampled_from(["١", "²", "٣٤", "0\n", "12 "]))
def test_only_ascii_digits_are_a_camera(text):
    assert source_kind(text) != "camera" or text.strip().isascii()


@FAST
@given(st.floats(min_value=5e-324, max_value=0.000999, allow_subnormal=True))
def test_a_tiny_max_fps_is_refused_up_front(value):
    _, problems = config_or_problems("streams.s.source=0", f"streams.s.max_fps={value!r}")
    assert any(p.key == "streams.s.max_fps" and p.message.startswith("too small") for p in problems), problems


@pytest.mark.parametrize("override, key", [
    ("streams.s.workflow=5", "streams.s.workflow"),
    ("streams.s.workflow=[5]", "streams.s.workflow"),
    ("streams.s.max_fps=x", "streams.s.max_fps"),
    ("streams.s.enabled=[1]", "streams.s.enabled"),
])
def test_a_type_error_under_a_stream_names_its_key_and_value(override, key):
    _, problems = config_or_problems("streams.s.source=0", override)
    found = {p.key: p for p in problems}
    assert key in found, problems
    assert found[key].message == "wrong type" and found[key].value is not None


@FAST
@given(st.integers(65, 10**6))
def test_run_concurrency_is_bounded_for_a_boards_address_space(value):
    _, problems = config_or_problems(f"run.concurrency={value}")
    assert any(p.key == "run.concurrency" and p.message.startswith("too large") for p in problems), problems
