"""Streams: sources, the stream manager, workflow blocks and per-stream sinks."""
