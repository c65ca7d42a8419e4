"""/metrics counts events per stream and type (coral_events_total), read from the run status."""

from coral_inference.web.metrics import Metrics

WEB = {"viewers": 0, "requests": 0, "peers_served": 0, "frames_sent": 0, "mjpeg_frames_sent": 0, "refused": 0}


def test_events_per_stream_and_type_are_prometheus_counters():
    from prometheus_client.parser import text_string_to_metric_families

    status = {"door": {"frames": 9, "status": "running", "events": {"events": {"start": 2, "enter": 1}, "total": 3}},
              "yard": {"frames": 4, "status": "running"}}  # no tracker: no events
    text = Metrics(lambda: status, lambda: {}, lambda: WEB).text().decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {(s.labels["stream"], s.labels["type"]): s.value for s in families["coral_events"].samples
               if s.name == "coral_events_total"}
    assert samples == {("door", "start"): 2.0, ("door", "enter"): 1.0}
    assert families["coral_events"].type == "counter"
