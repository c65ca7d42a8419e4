"""Files the product reads and writes, checked: the one place that opens them.

Reading (``read_bytes_checked``, ``read_text_checked``, ``load_yaml_checked``, ``load_json_checked``):
the path must be a regular file (a FIFO, device, socket or folder is refused without blocking: the file
is opened with O_NONBLOCK and checked with fstat before a byte is read) of at most ``LIMITS[kind]``
bytes; text must be UTF-8; YAML is loaded with limits on nesting depth, aliases and the size of the
document once aliases are expanded; integers of more than ``MAX_INT_DIGITS`` digits are refused.

Writing (``write_text_atomic``, ``write_json_atomic``, ``open_for_write``, ``reserve_new``,
``ensure_dir``, ``plain_name``): inside a given folder, by a plain file name; never through a symlink
(O_NOFOLLOW; a symlink, folder or device where a file is to be written is refused); new files with
O_EXCL; replacements are atomic (a temp file in the same folder, fsync, rename) and only ever replace
a regular file. JSON is strict (``allow_nan=False``): NaN and infinities are written as the strings
"NaN", "Infinity", "-Infinity".

Every failure is a ``FileProblem`` (a ConfigError: exit 2) naming the file, what it was meant to be
and what is expected.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any, Iterator

from .errors import ConfigError, Problem

KiB, MiB = 1 << 10, 1 << 20
# The largest file read per kind, in bytes.
LIMITS = {
    "config": 1 * MiB,  # -c FILE, --config-dir YAML files, platform options, .hydra/ records
    "labels": 1 * MiB,
    "model": 512 * MiB,
    "summary": 16 * MiB,  # runtime_summary.json read by audit verify and sweep report
    "sysfs": 4 * KiB,  # files under platform.device_root (sysfs, device tree)
    "text": 1 * MiB,
}
MAX_DEPTH = 64  # nesting of YAML / JSON documents
MAX_ALIASES = 256  # YAML aliases (*name) per document
MAX_NODES = 200_000  # YAML nodes once aliases are expanded (a ~500-byte alias bomb expands to billions)
MAX_ITEMS = 4096  # items of one YAML / JSON list (a config's longest list is far shorter; composing costs per item)
MAX_INT_DIGITS = 64  # integers in YAML / JSON / environment values
MAX_NAME = 255  # bytes of a file name


class FileProblem(ConfigError):
    """A file that is not what it should be (exit 2): names the file, the problem and what is expected."""

    def __init__(self, path: Any, what: str, reason: str, expected: str, key: str | None = None):
        self.path, self.what, self.reason, self.expected, self.key = str(path), what, reason, expected, key
        prefix = f"{key}: " if key else ""
        super().__init__(f"{prefix}{what} {str(path)!r}: {reason} (expected {expected})")

    def problem(self, source: str | None = None) -> Problem:
        """The same as one Problem of a validation (key, message, file, expected)."""
        if self.key:
            return Problem(self.key, f"{self.what}: {self.reason}", value=self.path, source=source,
                           expected=self.expected)
        return Problem(self.path, f"{self.what}: {self.reason}", source=source, expected=self.expected)


def _kind_name(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"),
                       (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


# --- reading ----------------------------------------------------------------------------------


def read_bytes_checked(path: Any, what: str, kind: str = "text", *, key: str | None = None,
                       max_bytes: int | None = None, expected: str | None = None, head: int | None = None) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (default ``LIMITS[kind]``); with ``head``
    only its first ``head`` bytes (the size limit is checked all the same)."""
    limit = LIMITS[kind] if max_bytes is None else max_bytes
    expected = expected or f"a regular file of at most {_size(limit)}"
    try:
        fd = _open_regular(path, what, kind, key, limit)
    except FileProblem as exc:
        raise FileProblem(path, what, exc.reason, expected, key) from None
    try:
        if head is not None:
            return os.read(fd, head)
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 * MiB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise FileProblem(path, what, f"grew past {_size(limit)} while read", expected, key)
        return b"".join(chunks)
    except OSError as exc:
        raise FileProblem(path, what, f"cannot read it: {exc.strerror or exc}", expected, key) from None
    finally:
        os.close(fd)


def sha256_checked(path: Any, what: str, kind: str = "model", *, key: str | None = None) -> str:
    """The sha256 of a regular file of at most ``LIMITS[kind]`` bytes, read in chunks."""
    import hashlib

    digest = hashlib.sha256()
    fd = _open_regular(path, what, kind, key)
    try:
        while chunk := os.read(fd, 1 * MiB):
            digest.update(chunk)
    except OSError as exc:
        raise FileProblem(path, what, f"cannot read it: {exc.strerror or exc}", "a readable regular file", key) from None
    finally:
        os.close(fd)
    return digest.hexdigest()


def _open_regular(path: Any, what: str, kind: str, key: str | None, limit: int | None = None) -> int:
    """A read-only descriptor of a regular file of at most ``limit`` bytes: opened with O_NONBLOCK (a FIFO
    never blocks), checked with fstat before anything is read."""
    limit = LIMITS[kind] if limit is None else limit
    expected = f"a regular file of at most {_size(limit)}"
    try:
        fd = os.open(Path(path).expanduser(),
                     os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise FileProblem(path, what, "not found", expected, key) from None
    except OSError as exc:
        raise FileProblem(path, what, f"cannot open it: {exc.strerror or exc}", expected, key) from None
    except ValueError:  # a NUL byte in the path
        raise FileProblem(repr(str(path))[1:-1], what, "not a usable path (it holds a NUL byte)", expected,
                          key) from None
    info = os.fstat(fd)
    problem = (f"{_kind_name(info.st_mode)}, not a regular file" if not stat.S_ISREG(info.st_mode)
               else f"too large ({_size(info.st_size)} > {_size(limit)})" if info.st_size > limit else None)
    if problem:
        os.close(fd)
        raise FileProblem(path, what, problem, expected, key)
    return fd


def field_of(data: Any, name: str, types: Any, path: Any, what: str, *, required: bool = False,
             where: str = "") -> Any:
    """``data[name]`` when it has one of ``types`` (or is None / absent, unless ``required``); else a
    FileProblem naming the file and the field (``audit verify`` and ``sweep report`` check what they read)."""
    value = data.get(name) if isinstance(data, dict) else None
    if value is None and not required:
        return None
    if not isinstance(value, types) or isinstance(value, bool) and bool not in _as_tuple(types):
        names = " or ".join(t.__name__ for t in _as_tuple(types)).replace("dict", "an object").replace(
            "list", "a list").replace("str", "a string").replace("int", "an integer").replace("float", "a number")
        field = f"{where}.{name}" if where else name
        raise FileProblem(path, what, f"field {field!r} is {_json_type(value)}", f"{names} in {field!r}")
    return value


def _as_tuple(types: Any) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "missing (null)"}.get(type(value), type(value).__name__)


def read_text_checked(path: Any, what: str, kind: str = "text", *, key: str | None = None,
                      max_bytes: int | None = None, expected: str | None = None) -> str:
    """The UTF-8 text of a regular file of bounded size (see ``read_bytes_checked``)."""
    data = read_bytes_checked(path, what, kind, key=key, max_bytes=max_bytes, expected=expected)
    return decode_text(data, path, what, key=key, expected=expected)


def decode_text(data: bytes, path: Any, what: str, *, key: str | None = None, expected: str | None = None) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblem(path, what, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                          expected or "a UTF-8 text file", key) from None


def load_yaml_checked(path: Any, what: str = "config file", kind: str = "config", *, key: str | None = None,
                      text: str | None = None) -> Any:
    """A YAML (or JSON) document read safely: a regular file of bounded size, UTF-8, nesting at most
    ``MAX_DEPTH``, at most ``MAX_ALIASES`` aliases and ``MAX_NODES`` nodes once expanded, integers of at
    most ``MAX_INT_DIGITS`` digits. Any failure is a FileProblem naming the file."""
    import yaml

    if text is None:
        text = read_text_checked(path, what, kind, key=key, expected="a UTF-8 YAML file of at most "
                                 + _size(LIMITS[kind]))
    expected = "valid YAML or JSON"
    loader = None
    try:
        loader = _loader_class()(text)  # the reader refuses control characters here already
        loader.checked_path, loader.checked_what, loader.checked_key = path, what, key
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_NODES:
            raise FileProblem(path, what, f"{size} nodes once its aliases are expanded (at most {MAX_NODES})",
                              "YAML without alias bombs", key)
        return no_surrogates(loader.construct_document(node), path, what, key)
    except FileProblem:
        raise
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FileProblem(path, what, f"YAML syntax error {_mark(exc)}: {problem}".replace(" :", ":"), expected,
                          key) from None
    except RecursionError:
        raise FileProblem(path, what, "nested too deeply", f"at most {MAX_DEPTH} levels of nesting", key) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise FileProblem(path, what, f"a value cannot be read: {str(exc)[:200]}", expected, key) from None
    finally:
        if loader is not None:
            loader.dispose()


def _mark(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f"(line {mark.line + 1}, column {mark.column + 1})" if mark else ""


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    """Nodes of the document with every alias expanded (memoised: shared nodes are counted per use)."""
    import yaml

    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = MAX_NODES + 1  # a recursive alias expands forever
    total = 1
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            total += _expanded_size(item, memo)
            if total > MAX_NODES:
                break
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, memo) + _expanded_size(v, memo)
            if total > MAX_NODES:
                break
    memo[id(node)] = total
    return total


_LOADER: list[Any] = []


def _loader_class() -> Any:
    """A SafeLoader that counts depth and aliases while composing and bounds integer literals."""
    if _LOADER:
        return _LOADER[0]
    import yaml

    class CheckedLoader(yaml.SafeLoader):
        depth = 0
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if isinstance(parent, yaml.SequenceNode) and isinstance(index, int) and index >= MAX_ITEMS:
                raise FileProblem(self.checked_path, self.checked_what,
                                  f"a list of more than {MAX_ITEMS} items (line {parent.start_mark.line + 1})",
                                  f"lists of at most {MAX_ITEMS} items", self.checked_key)
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise FileProblem(self.checked_path, self.checked_what, f"more than {MAX_ALIASES} aliases",
                                      f"at most {MAX_ALIASES} YAML aliases", self.checked_key)
                return super().compose_node(parent, index)
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    mark = self.peek_event().start_mark
                    raise FileProblem(self.checked_path, self.checked_what,
                                      f"nested more than {MAX_DEPTH} levels deep (line {mark.line + 1})",
                                      f"at most {MAX_DEPTH} levels of nesting", self.checked_key)
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_yaml_int(self, node: Any) -> int:
            digits = sum(c.isdigit() for c in str(node.value))
            if digits > MAX_INT_DIGITS:
                raise FileProblem(self.checked_path, self.checked_what,
                                  f"an integer of {digits} digits (line {node.start_mark.line + 1})",
                                  f"integers of at most {MAX_INT_DIGITS} digits", self.checked_key)
            return super().construct_yaml_int(node)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                self.flatten_mapping(node)  # merge keys (<<: *x) first, as SafeLoader does
            for key_node, _value in node.value:
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise FileProblem(self.checked_path, self.checked_what,
                                      f"a mapping key that is {type(key).__name__}, not text "
                                      f"(line {key_node.start_mark.line + 1})", "text (or integer) keys",
                                      self.checked_key)
            return super().construct_mapping(node, deep=deep)

        def construct_plain_only(self, node: Any) -> Any:
            tag = str(node.tag).rpartition(":")[2]
            raise FileProblem(self.checked_path, self.checked_what,
                              f"a !!{tag} value (line {node.start_mark.line + 1})",
                              "plain YAML values: text, numbers, booleans, null, lists and mappings", self.checked_key)

    CheckedLoader.add_constructor("tag:yaml.org,2002:int", CheckedLoader.construct_yaml_int)
    # only what JSON and OmegaConf hold: a date stays text (as OmegaConf reads it); binary, sets, ordered
    # pairs are refused naming the file
    CheckedLoader.add_constructor("tag:yaml.org,2002:timestamp", CheckedLoader.construct_yaml_str)
    for tag in ("binary", "set", "omap", "pairs"):
        CheckedLoader.add_constructor(f"tag:yaml.org,2002:{tag}", CheckedLoader.construct_plain_only)
    _LOADER.append(CheckedLoader)
    return CheckedLoader


def load_json_checked(path: Any, what: str, kind: str = "summary", *, key: str | None = None) -> Any:
    """A JSON document from a regular file of bounded size: UTF-8, nesting at most ``MAX_DEPTH``,
    integers of at most ``MAX_INT_DIGITS`` digits."""
    text = read_text_checked(path, what, kind, key=key,
                             expected=f"a UTF-8 JSON file of at most {_size(LIMITS[kind])}")
    return parse_json(text, path, what, key=key)


def parse_json(text: str, path: Any, what: str, *, key: str | None = None) -> Any:
    def bounded_int(literal: str) -> int:
        if len(literal.lstrip("-")) > MAX_INT_DIGITS:
            raise ValueError(f"an integer of {len(literal.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
        return int(literal)

    depth = _json_depth(text)
    if depth > MAX_DEPTH:
        raise FileProblem(path, what, f"nested more than {MAX_DEPTH} levels deep",
                          f"JSON with at most {MAX_DEPTH} levels of nesting", key)
    try:
        data = json.loads(text, parse_int=bounded_int)
    except (ValueError, RecursionError) as exc:
        raise FileProblem(path, what, f"not valid JSON: {str(exc)[:200]}", "a JSON document", key) from None
    return no_surrogates(data, path, what, key)


def surrogate_at(value: Any, where: str = "") -> str | None:
    """The dotted place of the first text (a key or a value) in ``value`` holding an unpaired surrogate
    (``\\ud800``, which YAML and JSON escapes can spell but no UTF-8 file, message or summary can hold);
    None when there is none. Iterative: a deep document costs no recursion."""
    stack = [(where, value)]
    while stack:
        place, item = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                return place or "(top level)"
        elif isinstance(item, dict):
            for k, v in item.items():
                sub = f"{place}.{k}" if place else str(k)
                if isinstance(k, str) and not _encodable(k):
                    return sub
                stack.append((sub, v))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{place}[{i}]", v) for i, v in enumerate(item))
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def no_surrogates(data: Any, path: Any, what: str, key: str | None) -> Any:
    """``data``, or a FileProblem naming the key whose text holds an unpaired surrogate."""
    place = surrogate_at(data)
    if place is not None:
        shown = place.encode("ascii", "backslashreplace").decode("ascii")
        raise FileProblem(path, what, f"{shown}: text holding an unpaired surrogate (a lone \\uD800-\\uDFFF escape)",
                          "text of valid Unicode characters (an escape pair such as \\ud83d\\ude00, or the character itself)",
                          key)
    return data


def _json_depth(text: str) -> int:
    """The deepest bracket nesting of a JSON text (brackets inside strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


def _size(n: int) -> str:
    for unit, factor in (("MiB", MiB), ("KiB", KiB)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} bytes"


# --- writing ----------------------------------------------------------------------------------


# What a run writes in its folder besides its summary (run modes, services, Hydra, the folder lock): a
# summary.filename of one of these, or of a job log (*.log), would overwrite (or be overwritten by) it.
RUN_FOLDER_NAMES = ("results.jsonl", "events.jsonl", "masks", "recordings", "snapshots", "clips", "run.log",
                    ".coral-run.lock", "multirun.yaml", ".hydra")


def run_file_name(name: Any, key: str) -> str:
    """``plain_name``, and not a name the run itself writes (RUN_FOLDER_NAMES, a ``.log`` job log)."""
    text = plain_name(name, key)
    if text in RUN_FOLDER_NAMES or text.lower().endswith(".log") or text.lower() in RUN_FOLDER_NAMES:
        problem = f"{text!r} is a file the run writes itself ({', '.join(RUN_FOLDER_NAMES[:3])}, the job log …)"
        raise ConfigError(f"{key}: {problem}", problems=[Problem(key, problem, value=text,
                          expected="a file name of its own, such as runtime_summary.json")])
    return text


def plain_name(name: Any, key: str) -> str:
    """``name`` when it is a plain file name: no '/', not empty, not hidden ('.', '..', '.hydra'), no NUL,
    at most 255 bytes. Else a ConfigError naming ``key``."""
    text = "" if name is None else str(name)
    problem = None
    if not text.strip():
        problem = "an empty file name"
    elif "/" in text or "\\" in text or "\x00" in text:
        problem = "not a plain file name (it holds a path separator)"
    elif text.startswith("."):
        problem = "a hidden or special name ('.', '..', '.hydra', …)"
    elif len(text.encode("utf-8", "surrogateescape")) > MAX_NAME:
        problem = f"longer than {MAX_NAME} bytes"
    if problem:
        raise ConfigError(f"{key}: {problem}", problems=[Problem(key, problem, value=text,
                          expected="a plain file name inside the run folder, such as runtime_summary.json")])
    return text


def ensure_dir(base: Any, *parts: str, what: str = "folder") -> Path:
    """``base``/``parts…`` as a folder, each part created if missing; a part that exists as a symlink
    or as anything but a folder is refused (the product never writes through links it did not make)."""
    folder = Path(base)
    folder.mkdir(parents=True, exist_ok=True)
    for part in parts:
        if part in ("", ".", "..") or "/" in part or "\x00" in part:
            raise FileProblem(folder / part, what, "not a plain folder name", "a name without '/'", None)
        folder = folder / part
        try:
            os.mkdir(folder)
        except FileExistsError:
            info = os.lstat(folder)
            if not stat.S_ISDIR(info.st_mode):
                raise FileProblem(folder, what, f"{_kind_name(info.st_mode)}; not written through",
                                  "a folder (or nothing) there", None) from None
    return folder


def check_writable_target(path: Any, what: str, *, key: str | None = None) -> bool:
    """Whether ``path`` exists; refuses a symlink or anything but a regular file there."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False  # nothing there (writing it then says why it cannot, if it cannot)
    if not stat.S_ISREG(info.st_mode):
        raise FileProblem(path, what, f"{_kind_name(info.st_mode)} is there; not written through or replaced",
                          "a regular file or nothing at that name", key)
    return True


def open_for_write(path: Any, what: str, *, replace: bool = False, key: str | None = None,
                   binary: bool = False) -> Any:
    """A file object for a new file at ``path`` (O_CREAT|O_EXCL|O_NOFOLLOW); with ``replace`` an existing
    regular file is truncated instead (never a symlink). Raises FileExistsError when the file exists
    and ``replace`` is false."""
    exists = check_writable_target(path, what, key=key)
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    flags |= os.O_TRUNC if (replace and exists) else os.O_EXCL
    try:
        fd = os.open(path, flags, 0o644)
    except FileExistsError:
        raise
    except OSError as exc:
        raise FileProblem(path, what, f"cannot write it: {exc.strerror or exc}", "a writable regular file",
                          key) from None
    return os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""}))


def reserve_new(folder: Any, stem: str, suffix: str, start: int = 0, what: str = "file") -> Path:
    """Create a new empty file ``<stem><n><suffix>`` (n from ``start``, 5 digits) in ``folder`` with
    O_EXCL and return its path: names already taken (by anyone) are skipped, never replaced."""
    path, handle = create_new(folder, stem, suffix, start, what)
    handle.close()
    return path


def create_new(folder: Any, stem: str, suffix: str, start: int = 0, what: str = "file") -> tuple[Path, Any]:
    """``reserve_new``, keeping the file open: (path, binary file object) of a file this call created
    (O_EXCL|O_NOFOLLOW), so what is written lands in that file and nowhere else."""
    n = start
    while True:
        path = Path(folder) / f"{stem}{n:05d}{suffix}"
        try:
            return path, open_for_write(path, what, binary=True)
        except (FileExistsError, FileProblem):
            if os.path.lexists(path):
                n += 1
                continue
            raise


def write_text_atomic(path: Any, text: str, what: str = "file", *, key: str | None = None,
                      errors: str = "strict") -> Path:
    """Write text to a temp file in the same folder, fsync, then rename over ``path``: readers see the
    old file or the new one, never a part. Only a regular file (or nothing) is replaced; a symlink is
    refused, never followed. ``errors``: how characters UTF-8 cannot encode are written (a file read with
    ``surrogateescape`` is written back byte for byte with ``errors="surrogateescape"``)."""
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    check_writable_target(path, what, key=key)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; these files are meant to be read
        with os.fdopen(fd, "w", encoding="utf-8", errors=errors, newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        check_writable_target(path, what, key=key)
        os.replace(tmp, path)  # replaces the name itself: never writes through a link
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_set_atomic(texts: dict[Any, str], what: str = "report") -> list[Path]:
    """Replace several files as a set: every new file is written and synced first (temp files in the
    target folders); only when all are written are they renamed into place, one right after the other.
    A failure before that leaves every old file as it was (and no temp file)."""
    import tempfile

    staged: list[tuple[str, Path]] = []
    try:
        for path, text in texts.items():
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            check_writable_target(path, what)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((tmp, path))
            os.fchmod(fd, 0o644)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        for _tmp, path in staged:
            check_writable_target(path, what)
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _path in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    return [path for _tmp, path in staged]


def strict_json(value: Any) -> Any:
    """A copy that strict JSON can hold: NaN and infinities become "NaN", "Infinity", "-Infinity";
    tuples become lists; keys become strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def dumps_strict(data: Any, **kwargs: Any) -> str:
    """JSON text that any JSON parser reads (no bare NaN / Infinity); unknown objects as str()."""
    kwargs.setdefault("default", str)
    return json.dumps(strict_json(data), allow_nan=False, **kwargs)


def write_json_atomic(path: Any, data: Any, what: str = "file", *, key: str | None = None) -> Path:
    """Strict JSON (see ``dumps_strict``), written atomically (see ``write_text_atomic``)."""
    return write_text_atomic(path, dumps_strict(data, indent=2, ensure_ascii=False) + "\n", what, key=key)


def iter_yaml_files(folder: Any, limit: int = 1000) -> Iterator[Path]:
    """The *.yaml / *.yml files under ``folder`` (symlinked folders not followed), at most ``limit``."""
    count = 0
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(root, d)))
        for name in sorted(names):
            if name.endswith((".yaml", ".yml")):
                count += 1
                if count > limit:
                    return
                yield Path(root) / name


def check_config_folder(folder: Any, source: str | None = None) -> list[Problem]:
    """A Problem for each YAML file under ``folder`` that ``load_yaml_checked`` refuses (Hydra reads
    --config-dir files itself, without limits: they are checked before it does)."""
    problems = []
    for path in iter_yaml_files(folder):
        try:
            load_yaml_checked(path, "config file", "config")
        except FileProblem as exc:
            problems.append(exc.problem(source=source or f"--config-dir {folder}"))
    return problems
