"""Events of a stream: tracked objects (the built-in tracker, tracker.py), the geometry of zones and lines
(geometry.py), the lifecycle of each tracked object (lifecycle.py), the per-stream hub every event passes
through (hub.py), the sinks that deliver them (sinks.py) and the checks of their keys (checks.py).
docs/events.md is the user's page."""
