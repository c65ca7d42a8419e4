"""streams/delivery.py object_counts: what the MQTT sink publishes as <prefix>/<stream>/<label>."""

from coral_inference.streams.delivery import object_counts


def test_counts_per_label_tracked_only_when_tracking():
    det = {"kind": "detection", "predictions": [{"class": 0, "label": "person"}, {"class": 0, "label": "person"},
                                                  {"class": 7, "label": None}]}
    assert object_counts(det) == {"person": 2, "7": 1}
    tracked = {"kind": "detection", "predictions": [{"class": 0, "label": "person", "track_id": 3},
                                                      {"class": 0, "label": "person", "track_id": None}]}
    assert object_counts(tracked) == {"person": 1}
    assert object_counts({"kind": "pose", "poses": [{"score": 0.5}, {"score": 0.4, "track_id": None}]}) == {"person": 1}
    assert object_counts({"kind": "detection", "predictions": []}) == {}
    assert object_counts({"kind": "classification", "predictions": [{"class": 1}]}) is None
    assert object_counts({"kind": "segmentation", "classes": []}) is None
