"""The built-in workflow blocks on known results (normalized coordinates, the result shape of docs/streams.md)."""

import pytest

from coral_inference.plugins.registry import new_registry


def block(name, **settings):
    return new_registry().get("workflow", name)(**settings)


def test_score_and_label_filters():
    scored = block("score_filter", min_score=0.5, drop_empty=True)
    r = scored({"predictions": [{"class": 1, "label": "a", "score": 0.7}, {"class": 2, "label": "b", "score": 0.2}]},
               None, None)
    assert [p["class"] for p in r["predictions"]] == [1]
    assert scored({"predictions": [{"class": 2, "score": 0.1}]}, None, None) is None
    assert scored.summary() == {"removed": 2, "dropped_results": 1}
    labels = block("label_filter", include=["person", 3], exclude=["dog"])
    r = labels({"predictions": [{"class": 3, "label": "car"}, {"class": 1, "label": "person"},
                                {"class": 5, "label": "dog"}]}, None, None)
    assert [p["class"] for p in r["predictions"]] == [3, 1]


@pytest.mark.parametrize("name,settings,match", [
    ("score_filter", {"min_score": "high"}, "number from 0 to 1"),
    ("label_filter", {"include": "person"}, "list of labels"),
    ("score_filter", {"min_scor": 0.5}, "unexpected keyword"),
])
def test_bad_settings_raise_value_or_type_error(name, settings, match):
    with pytest.raises((ValueError, TypeError), match=match):
        block(name, **settings)


def test_line_counter_and_zone_count_are_replaced_by_the_streams_lines_and_zones():
    from coral_inference.streams.workflow import check_blocks

    problems = []
    check_blocks([{"block": "line_counter", "line": [[0, 0], [1, 1]]}, {"block": "zone_count"}],
                 "streams.front.workflow", lambda *a: problems.append(a))
    assert [p[0] for p in problems] == ["streams.front.workflow[0].block", "streams.front.workflow[1].block"]
    assert "replaced by the stream's named lines" in problems[0][1]
    assert problems[0][3].startswith("streams.front.lines.<line>.points")
    assert problems[1][3].startswith("streams.front.zones.<zone>.polygon")
