"""A stream's decoder: model outputs -> one result of the model's task (tasks/decode.py prepare_decoder).
A segmented model's outputs are its last segment's (the backend's output_details), its inputs its first's."""

from __future__ import annotations

from typing import Any


def make_decoder(model: Any, output_details: list, registry: Any, run: Any, key: str,
                 input_details: list | None = None) -> tuple[Any, dict]:
    """(decoder(outputs, width, height) -> result, labels) for a model (`model` or an entry of `models`)."""
    from ..tasks.decode import options_from, prepare_decoder
    from ..tasks.checks import outputs_file
    from ..tasks.labels import load_labels

    labels = load_labels(model.labels, outputs_file(model))  # a segmented model's packed labels: its last segment
    return prepare_decoder(getattr(model, "task", "auto"), output_details, labels, options_from(run, input_details),
                           registry, key=key), labels
