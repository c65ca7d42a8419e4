"""Events of a stream: tracked objects (tracking.py), zones and lines (regions.py), the lifecycle of
each tracked object (engine.py), the per-stream hub every event passes through (hub.py) and the sinks
that deliver them (sinks.py). docs/events.md is the user's page."""
