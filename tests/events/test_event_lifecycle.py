"""The event lifecycle (streams/events/lifecycle.py) on known detections: start after min_hits, zones
entered and left after min_frames, lines crossed per direction, rate-limited snapshot updates, end when
lost or stopped; every event through a real EventHub."""

from types import SimpleNamespace as NS

import numpy as np

from coral_inference.streams.events.hub import EventHub
from coral_inference.streams.events.lifecycle import Lifecycle
from coral_inference.streams.events.tracker import IouTracker

KEYS = {"type", "id", "stream", "track_id", "label", "score", "box", "zones", "start_time", "time", "frame", "snapshot"}


def config(zones=None, lines=None, max_age_s=0.5, min_hits=2, interval=1.0):
    tracker = NS(kind="iou", max_age_s=max_age_s, min_hits=min_hits, iou_threshold=0.2, snapshot_interval_s=interval)
    return NS(tracker=tracker, zones=zones or {}, lines=lines or {})


def zone(polygon, labels=(), min_frames=1):
    return NS(polygon=polygon, labels=list(labels), min_frames=min_frames)


def line(points, directions=("in", "out"), labels=()):
    return NS(points=points, directions=list(directions), labels=list(labels))


def det(*objects):
    """objects: (x centre, y centre, label, score); boxes 0.1 x 0.1."""
    return [{"class": 0, "label": label, "score": score, "box": [x - 0.05, y - 0.05, x + 0.05, y + 0.05]}
            for x, y, label, score in objects]


def run(cfg, frames, *, snapshots=False, finish=True):
    hub = EventHub("cam")
    events = []
    if snapshots:
        hub.attach("snapshot", lambda e: f"snapshots/cam/{e['id']}.jpg" if e.get("_frame") is not None else None)
    hub.subscribe(events.append)
    life = Lifecycle("cam", cfg, IouTracker({"max_age_s": cfg.tracker.max_age_s, "min_hits": cfg.tracker.min_hits,
                                             "iou_threshold": 0.2}), hub)
    results = []
    image = np.zeros((10, 10, 3), np.uint8)
    for i, predictions in enumerate(frames):
        result = {"frame": i, "time": f"t{i}", "predictions": predictions}
        life.step(result, image, i * 0.1)
        results.append(result)
    if finish:
        life.finish()
    hub.close()
    return events, results, life


def test_one_object_walking_right_starts_enters_crosses_leaves_and_ends_in_order():
    cfg = config(zones={"mid": zone([[0.3, 0], [0.7, 0], [0.7, 1], [0.3, 1]])},
                 lines={"gate": line([[0.5, 0], [0.5, 1]])})
    frames = [det((0.1 + 0.05 * i, 0.5, "person", 0.6)) for i in range(17)]  # x 0.1 .. 0.9
    events, results, life = run(cfg, frames, snapshots=True)
    assert [e["type"] for e in events] == ["start", "enter", "update", "cross", "leave", "update", "end"]
    assert {e["track_id"] for e in events} == {1}
    start, enter, _, cross, leave, _, end = events
    assert start["frame"] == 1 and start["start_time"] == "t1"  # min_hits=2: the second sighting
    assert enter["zone"] == "mid" and enter["zones"] == ["mid"] and enter["frame"] == 4  # centre x 0.3: on the edge
    assert cross["line"] == "gate" and cross["direction"] == "out" and cross["zones"] == ["mid"]
    assert leave["zones"] == [] and end["reason"] == "stopped"
    assert all(KEYS <= set(e) for e in events) and len({e["id"] for e in events}) == len(events)
    assert all(e["snapshot"] == f"snapshots/cam/{e['id']}.jpg" for e in events)
    assert all(e["stream"] == "cam" and e["label"] == "person" for e in events)
    assert [p["track_id"] for r in results for p in r["predictions"]] == [None] + [1] * 16
    assert results[8]["zones"] == {"mid": {"inside": 1, "track_ids": [1]}} and results[-1]["lines"]["gate"] == {"in": 0, "out": 1}
    assert life.report() == {"tracks": 1, "zones": {"mid": {"enter": 1, "leave": 1, "max_inside": 1}},
                             "lines": {"gate": {"in": 0, "out": 1}}}


def test_a_lost_track_leaves_its_zones_and_ends_lost_and_a_new_one_gets_a_new_id():
    cfg = config(zones={"all": zone([[0, 0], [1, 0], [1, 1], [0, 1]])}, max_age_s=0.25)
    frames = [det((0.5, 0.5, "car", 0.7))] * 3 + [[]] * 4 + [det((0.5, 0.5, "car", 0.7))] * 3
    events, _, _ = run(cfg, frames, finish=False)
    assert [(e["type"], e["track_id"], e.get("reason")) for e in events] == [
        ("start", 1, None), ("enter", 1, None), ("leave", 1, None), ("end", 1, "lost"),
        ("start", 2, None), ("enter", 2, None)]
    assert events[3]["frame"] == 5  # last seen at t=0.2, lost beyond 0.25 s: at t=0.5


def test_min_frames_labels_and_directions_decide_what_counts():
    cfg = config(zones={"z": zone([[0.4, 0], [1, 0], [1, 1], [0.4, 1]], labels=["person"], min_frames=3)},
                 lines={"l": line([[0.5, 0], [0.5, 1]], directions=["in"])}, min_hits=1)
    # a person and a car both move right across x=0.5 and into the zone; a flicker of one frame does not enter
    frames = [det((0.3 + 0.05 * i, 0.3, "person", 0.8), (0.3 + 0.05 * i, 0.8, "car", 0.8)) for i in range(8)]
    events, results, _ = run(cfg, frames)
    enters = [e for e in events if e["type"] == "enter"]
    assert [(e["label"], e["frame"]) for e in enters] == [("person", 4)]  # inside from frame 2 (x=0.4+): 3rd frame
    assert not [e for e in events if e["type"] == "cross"]  # both crossed "out": only "in" makes events
    assert results[-1]["lines"]["l"] == {"in": 0, "out": 2}  # ... but both are counted


def test_snapshot_updates_are_rate_limited_and_end_carries_the_best_score():
    cfg = config(min_hits=1, interval=0.35)
    frames = [det((0.5, 0.5, "dog", 0.5 + 0.04 * i)) for i in range(10)]  # better every frame, t step 0.1
    events, _, _ = run(cfg, frames)
    updates = [e for e in events if e["type"] == "update"]
    assert [e["frame"] for e in updates] == [4, 8] and all(e["reason"] == "snapshot" for e in updates)
    assert events[-1]["type"] == "end" and abs(events[-1]["score"] - 0.86) < 1e-6


def test_without_attachments_no_frame_is_kept_on_the_event():
    events, _, _ = run(config(min_hits=1), [det((0.5, 0.5, "a", 0.9))])
    assert [e["type"] for e in events] == ["start", "end"]
    assert all("_frame" not in e and e["snapshot"] is None for e in events)
