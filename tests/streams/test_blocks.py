"""The built-in workflow blocks on known results (normalized coordinates, the result shape of docs/streams.md)."""

import pytest

from coral_inference.plugins.registry import new_registry


def det(*centres, score=0.9, label="person"):
    return {"kind": "detection", "predictions": [
        {"class": 0, "label": label, "score": score, "box": [x - 0.05, y - 0.05, x + 0.05, y + 0.05]}
        for x, y in centres]}


def block(name, **settings):
    return new_registry().get("workflow", name)(**settings)


def test_line_counter_counts_each_direction_once():
    counter = block("line_counter", line=[[0.0, 0.5], [1.0, 0.5]])
    path = [(0.3, 0.2), (0.3, 0.4), (0.3, 0.6), (0.3, 0.55), (0.3, 0.4)]  # down across, then back up across
    results = [counter(det(p), None, None) for p in path]
    assert [r["workflow"]["line_counter"]["crossed_now"] for r in results] == [0, 0, 1, 0, 1]
    assert counter.summary() == {"in": 1, "out": 1}


def test_line_counter_tracks_two_objects_by_nearest_centre_and_ignores_the_line_extension():
    counter = block("line_counter", line=[[0.0, 0.5], [0.5, 0.5]], max_distance=0.3)
    counter(det((0.2, 0.4), (0.8, 0.4)), None, None)
    counter(det((0.2, 0.6), (0.8, 0.6)), None, None)  # only the first crosses the segment itself
    assert sum(counter.summary().values()) == 1
    far = block("line_counter", line=[[0.0, 0.5], [1.0, 0.5]], max_distance=0.05)
    far(det((0.2, 0.4)), None, None)
    far(det((0.2, 0.6)), None, None)  # too far to be the same object
    assert far.summary() == {"in": 0, "out": 0}


def test_zone_count_counts_objects_inside_a_polygon():
    zone = block("zone_count", polygon=[[0.0, 0.5], [1.0, 0.5], [1.0, 1.0], [0.0, 1.0]])
    r = zone(det((0.2, 0.7), (0.5, 0.9), (0.5, 0.2)), None, None)
    assert r["workflow"]["zone_count"] == {"inside": 2}
    zone(det(), None, None)
    assert zone.summary() == {"max_inside": 2, "frames_occupied": 1}


def test_zone_count_uses_pose_keypoints():
    zone = block("zone_count", polygon=[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]])
    pose = {"kind": "pose", "poses": [{"score": 0.8, "keypoints": [
        {"name": "nose", "nx": 0.2, "ny": 0.2, "score": 0.9}, {"name": "knee", "nx": 0.9, "ny": 0.9, "score": 0.05}]}]}
    assert zone(pose, None, None)["workflow"]["zone_count"]["inside"] == 1  # the low-score keypoint is ignored


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
    ("line_counter", {"line": [[0.1, 0.1]]}, "two points"),
    ("line_counter", {"line": [[0.1, 0.1], [2, 0]]}, "outside the frame"),
    ("zone_count", {"polygon": [[0, 0], [1, 1]]}, "at least three"),
    ("score_filter", {"min_score": "high"}, "number from 0 to 1"),
    ("label_filter", {"include": "person"}, "list of labels"),
    ("score_filter", {"min_scor": 0.5}, "unexpected keyword"),
])
def test_bad_settings_raise_value_or_type_error(name, settings, match):
    with pytest.raises((ValueError, TypeError), match=match):
        block(name, **settings)
