"""Labels: class id -> name, from a labels file or from inside the .tflite.

File formats (as pycoral's ``read_label_file``): ``N label`` lines (every non-empty line; ``N: label``
too), else one label per line, line N = class N (Coral's coco_labels.txt starts at ``person`` = 0,
imagenet_labels.txt at ``background`` = 0). Blank lines keep their number in the second form.

Labels packed in a model: a TFLite model with metadata carries its associated files (labels.txt …) as a
zip archive appended to the flatbuffer; the labels file is the archive's ``.txt`` member whose name says
label(s), else its only ``.txt`` member.

Files are read safely: a regular file, at most 1 MiB, UTF-8; anything else is a ConfigError (exit 2)
naming the key and the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ConfigError

MAX_LABELS_BYTES = 1024 * 1024
_PAIR = re.compile(r"^\s*(\d{1,9})[\s:]+(.+?)\s*$")


def parse_labels(text: str) -> dict[int, str]:
    lines = text.splitlines()
    pairs = [_PAIR.match(line) for line in lines if line.strip()]
    if pairs and all(pairs):
        return {int(m.group(1)): m.group(2) for m in pairs}
    return {i: line.strip() for i, line in enumerate(lines) if line.strip()}


def _decode(data: bytes, what: str, key: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{key}: {what} is not UTF-8 text (byte {exc.start}); expected a labels text file, "
                          "one label per line or 'N label' lines") from None


def read_labels_file(path: str, key: str = "model.labels") -> dict[int, str]:
    import os
    import stat

    file = Path(path).expanduser()
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ConfigError(f"{key}: labels file not found: {path!r} (expected an existing text file)") from None
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read labels file {path!r}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"{key}: {path!r} is not a regular file; expected a labels text file")
        chunks, left = [], MAX_LABELS_BYTES + 1
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read labels file {path!r}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_LABELS_BYTES:
        raise ConfigError(f"{key}: labels file {path!r} is larger than {MAX_LABELS_BYTES} bytes; "
                          "expected a labels text file of at most 1 MiB")
    return parse_labels(_decode(data, f"labels file {path!r}", key))


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
    return parse_labels(_decode(data, f"{chosen.filename!r} packed in {model_path!r}", key))


def load_labels(path: str | None, model_path: str | None = None, key: str = "model.labels") -> dict[int, str]:
    """``path`` (model.labels) when set, else the labels packed in ``model_path``, else {}."""
    if path:
        return read_labels_file(path, key)
    if model_path and not model_path.startswith("builtin:"):
        return packed_labels(model_path, key.rsplit(".", 1)[0] + ".path")
    return {}
