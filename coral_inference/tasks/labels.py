"""Labels: class id -> name, from a labels file or from inside the .tflite.

File formats (as pycoral's ``read_label_file``): ``N label`` lines (every non-empty line; ``N: label``
too), else one label per line, line N = class N (Coral's coco_labels.txt starts at ``person`` = 0,
imagenet_labels.txt at ``background`` = 0). Blank lines keep their number in the second form.

Labels packed in a model: a TFLite model with metadata carries its associated files (labels.txt …) as a
zip archive appended to the flatbuffer; the labels file is the archive's ``.txt`` member whose name says
label(s), else its only ``.txt`` member.

Files are read with the checked reader (files.py): a regular file, at most 1 MiB, UTF-8; anything else
is a ConfigError (exit 2) naming the key and the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ConfigError

MAX_LABELS_BYTES = 1024 * 1024  # as files.LIMITS["labels"]
_PAIR = re.compile(r"^\s*(\d{1,9})[\s:]+(.+?)\s*$")  # class ids of at most 9 digits


def parse_labels(text: str) -> dict[int, str]:
    lines = text.splitlines()
    pairs = [_PAIR.match(line) for line in lines if line.strip()]
    if pairs and all(pairs):
        return {int(m.group(1)): m.group(2) for m in pairs}
    return {i: line.strip() for i, line in enumerate(lines) if line.strip()}


LABELS_EXPECTED = "a UTF-8 text file of at most 1 MiB, one label per line or 'N label' lines"


def read_labels_file(path: str, key: str = "model.labels") -> dict[int, str]:
    from ..files import read_text_checked

    return parse_labels(read_text_checked(path, "labels file", "labels", key=key, expected=LABELS_EXPECTED))


def packed_labels(model_path: str, key: str = "model.path") -> dict[int, str]:
    """Labels from the associated files packed in the .tflite (metadata), or {} when it has none."""
    import zipfile

    file = Path(model_path).expanduser()
    try:
        if not file.is_file():
            return {}
        archive = zipfile.ZipFile(file)
    except (OSError, zipfile.BadZipFile, ValueError):
        return {}  # no archive appended: no packed labels
    with archive:
        texts = [i for i in archive.infolist() if i.filename.lower().endswith(".txt") and not i.is_dir()]
        named = [i for i in texts if "label" in Path(i.filename).name.lower()]
        chosen = named[0] if named else (texts[0] if len(texts) == 1 else None)
        if chosen is None:
            return {}
        if chosen.file_size > MAX_LABELS_BYTES:
            raise ConfigError(f"{key}: the labels {chosen.filename!r} packed in {model_path!r} are larger than "
                              f"{MAX_LABELS_BYTES} bytes; expected at most 1 MiB (or set model.labels)")
        try:
            data = archive.read(chosen)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            raise ConfigError(f"{key}: cannot read the labels {chosen.filename!r} packed in {model_path!r}: "
                              f"{exc}; expected a readable archive (or set model.labels)") from None
    from ..files import decode_text

    return parse_labels(decode_text(data, f"{model_path}:{chosen.filename}", "labels packed in the model", key=key,
                                    expected=LABELS_EXPECTED))


def load_labels(path: str | None, model_path: str | None = None, key: str = "model.labels") -> dict[int, str]:
    """``path`` (model.labels) when set, else the labels packed in ``model_path``, else {}."""
    if path:
        return read_labels_file(path, key)
    if model_path and not model_path.startswith("builtin:"):
        return packed_labels(model_path, key.rsplit(".", 1)[0] + ".path")
    return {}
