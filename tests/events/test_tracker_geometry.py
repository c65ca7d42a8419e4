"""The geometry of zones and lines and the built-in ``iou`` tracker, on known arrays and with hypothesis."""

from hypothesis import given, settings
from hypothesis import strategies as st

from coral_inference.plugins.registry import new_registry
from coral_inference.streams.events.geometry import contains, crossing, iou, side
from coral_inference.streams.events.tracker import IouTracker

unit = st.floats(0.0, 1.0, allow_nan=False)
point = st.tuples(unit, unit)


def boxes(draw_box=st.tuples(unit, unit, st.floats(0.01, 0.5), st.floats(0.01, 0.5))):
    return draw_box.map(lambda b: (b[0], b[1], b[0] + b[2], b[1] + b[3]))


@given(point, point, point, point)
def test_crossing_back_is_the_other_direction(a, b, p, q):
    there, back = crossing(a, b, p, q), crossing(a, b, q, p)
    assert (there is None) == (back is None)
    if there is not None:
        assert {there, back} == {"in", "out"}
        if side(a, b, p) != 0 and side(a, b, q) != 0:
            assert crossing(b, a, p, q) == back  # reversing the line reverses the direction


@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=12), st.sampled_from([0.25, 0.5, 0.75]))
def test_a_path_is_counted_by_where_it_ends_exactly_on_the_line_or_not(xs, at):
    """Crossings of a vertical line along any path, points on the line included: ins minus outs is
    where the path ended relative to where it began (never a crossing lost or counted twice)."""
    line = ((at, 0.0), (at, 1.0))
    path = [(x, 0.5) for x in xs] + [(at, 0.5), (xs[0], 0.5)]  # through the line itself, then back
    moves = [crossing(*line, p, q) for p, q in zip(path, path[1:])]
    assert moves.count("in") == moves.count("out")


@given(st.floats(0.0, 1.0), st.floats(0.01, 0.49), st.floats(0.51, 0.99))
def test_a_horizontal_line_crossed_downwards_is_in(x, y0, y1):
    assert crossing((0.0, 0.5), (1.0, 0.5), (x, y0), (x, y1)) == "in"
    assert crossing((0.0, 0.5), (1.0, 0.5), (x, y1), (x, y0)) == "out"


def test_a_movement_beside_the_segment_or_ending_on_it_does_not_cross():
    line = ((0.0, 0.5), (0.5, 0.5))
    assert crossing(*line, (0.8, 0.4), (0.8, 0.6)) is None  # beyond the segment's end
    assert crossing(*line, (0.2, 0.4), (0.2, 0.5)) is None  # ends on the line
    assert crossing(*line, (0.2, 0.4), (0.2, 0.45)) is None


@given(st.tuples(unit, unit, unit, unit), point)
def test_a_rectangle_contains_what_lies_strictly_within_its_bounds(r, p):
    x0, x1 = sorted((r[0], r[2]))
    y0, y1 = sorted((r[1], r[3]))
    poly = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    if x0 < p[0] < x1 and y0 < p[1] < y1:
        assert contains(poly, *p)
    if not (x0 <= p[0] <= x1 and y0 <= p[1] <= y1):
        assert not contains(poly, *p)


@given(boxes(), boxes())
def test_iou_is_symmetric_bounded_and_one_for_itself(a, b):
    assert iou(a, b) == iou(b, a) and 0.0 <= iou(a, b) <= 1.0 + 1e-12
    assert abs(iou(a, a) - 1.0) < 1e-9


def move(box, dx, dy=0.0):
    return [box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy]


def test_two_objects_keep_their_ids_whatever_order_the_detector_lists_them():
    tracker = IouTracker({"max_age_s": 1.0, "min_hits": 2, "iou_threshold": 0.3})
    a, b = [0.1, 0.1, 0.3, 0.3], [0.6, 0.6, 0.8, 0.8]
    first = tracker.update([{"box": a, "label": "person"}, {"box": b, "label": "person"}], 0.0)
    assert first == [None, None]  # not a track before min_hits
    ids = tracker.update([{"box": move(a, 0.02), "label": "person"}, {"box": move(b, -0.02), "label": "person"}], 0.1)
    assert sorted(ids) == [1, 2]
    swapped = tracker.update([{"box": move(b, -0.04), "label": "person"}, {"box": move(a, 0.04), "label": "person"}], 0.2)
    assert swapped == [ids[1], ids[0]]


def test_labels_never_share_a_track_and_a_lost_object_comes_back_with_a_new_id():
    tracker = IouTracker({"max_age_s": 0.5, "min_hits": 1, "iou_threshold": 0.3})
    box = [0.4, 0.4, 0.6, 0.6]
    assert tracker.update([{"box": box, "label": "person"}, {"box": box, "label": "car"}], 0.0) == [1, 2]
    assert tracker.update([{"box": box, "label": "car"}], 0.4) == [2]  # person not seen: still remembered
    assert tracker.update([{"box": box, "label": "person"}], 0.45) == [1]
    assert tracker.update([{"box": box, "label": "person"}], 1.2) == [3]  # lost longer than max_age_s
    tracker.reset()
    assert tracker.update([{"box": box, "label": "person"}], 1.3) == [4]  # ids are never reused


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 0.1), st.floats(0.0, 0.8)), min_size=1, max_size=4),
       st.integers(1, 4), st.floats(-0.02, 0.02), st.permutations(range(4)))
def test_slow_separate_objects_get_one_stable_id_each(starts, min_hits, speed, order):
    """Boxes 0.1 wide, 0.25 apart, moving at most 0.02 a frame: each keeps one id, no two share one."""
    objects = [[x + 0.25 * i, y, x + 0.25 * i + 0.1, y + 0.1] for i, (x, y) in enumerate(starts)]
    tracker = IouTracker({"max_age_s": 1.0, "min_hits": min_hits, "iou_threshold": 0.3})
    seen: dict[int, set] = {}
    for frame in range(8):
        listed = [i for i in order if i < len(objects)]
        ids = tracker.update([{"box": move(objects[i], speed * frame), "label": "x"} for i in listed], frame * 0.1)
        for i, track_id in zip(listed, ids):
            if frame + 1 >= min_hits:
                assert track_id is not None
            if track_id is not None:
                seen.setdefault(i, set()).add(track_id)
    assert all(len(v) == 1 for v in seen.values())
    assert len({next(iter(v)) for v in seen.values()}) == len(seen)


def test_the_tracker_kind_is_in_the_registry_and_checked_like_every_kind():
    from coral_inference.plugins.contract import contribution_problems

    registry = new_registry()
    assert registry.names("tracker") == ["iou"]
    assert contribution_problems("tracker", "mine", lambda settings, stream: None) == []
    assert contribution_problems("tracker", "bad", lambda: None)[0].startswith("tracker 'bad': cannot be called")
