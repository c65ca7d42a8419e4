"""The Edge TPU runtime: libedgetpu found where the delegate loader looks for platform.delegate_library,
that it is a TFLite delegate plugin, its flavour (libedgetpu1-std or -max: same file name, another clock)
and version, and whether platform.clock says the same.

Where it looks: a name with a slash is that file; a bare name is searched as the dynamic loader does,
in LD_LIBRARY_PATH (this process's, at the real root), the folders of etc/ld.so.conf (and its includes),
then /lib and /usr/lib. The flavour comes from dpkg's database under the root (the package whose file
list holds the library found), else from the file's path (Coral's runtime archive keeps -max builds in
``direct/`` and -std ones in ``throttled/``).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ...files import FileProblem, read_bytes_checked
from .board import Board
from .fixes import INSTALL_LIBEDGETPU
from .result import Result, error, info, ok, warning

SYSTEM_DIRS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64")
PLUGIN_SYMBOL = b"tflite_plugin_create_delegate"
MAX_LIBRARY = 256 * 1024 * 1024


@dataclass
class Runtime:
    """What was found for platform.delegate_library."""

    looked: list[str]  # the folders (or the file) looked at
    path: str | None = None  # the file found, as on the board
    chain: list[str] = field(default_factory=list)  # path and the links it goes through, as on the board
    package: str | None = None  # libedgetpu1-std / libedgetpu1-max
    version: str | None = None  # the package's version (16.0, 16.0tf2.17.1-1.bookworm)
    flavour: str | None = None  # std | max
    flavour_from: str | None = None  # dpkg | path


def _ld_conf_dirs(board: Board, conf: str = "/etc/ld.so.conf", depth: int = 0) -> list[str]:
    dirs: list[str] = []
    for line in (board.text(conf, "text") or "").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("include") and depth < 4:
            pattern = line.split(None, 1)[1] if len(line.split(None, 1)) > 1 else ""
            if not pattern.startswith("/"):
                pattern = str(PurePosixPath(conf).parent / pattern)
            for found in sorted(glob.glob(str(board.at(pattern)))):
                dirs += _ld_conf_dirs(board, "/" + os.path.relpath(found, board.root), depth + 1)
        elif line.startswith("/"):
            dirs.append(line)
    return dirs


def search_dirs(board: Board) -> list[str]:
    out: list[str] = []
    for folder in [*board.library_path, *_ld_conf_dirs(board), *SYSTEM_DIRS]:
        if folder not in out:
            out.append(folder)
    return out


def _links(board: Board, path: str) -> list[str]:
    """``path`` and each link target after it, inside the root (at most 16 links)."""
    chain = [path]
    for _ in range(16):
        full = board.at(chain[-1])
        if not full.is_symlink():
            break
        target = os.readlink(full)
        chain.append(target if target.startswith("/") else str(PurePosixPath(chain[-1]).parent / target))
    return chain


def find(board: Board) -> Runtime:
    name = board.library
    if "/" in name:
        path = name if name.startswith("/") or not board.real else os.path.abspath(name)
        runtime = Runtime([path])
        candidates = [path]
    else:
        runtime = Runtime(search_dirs(board))
        candidates = [f"{folder.rstrip('/')}/{name}" for folder in runtime.looked]
    for candidate in candidates:  # links followed inside the root (an absolute target is the board's path)
        chain = _links(board, candidate)
        if board.at(chain[-1]).is_file():
            runtime.path, runtime.chain = candidate, chain
            break
    else:
        return runtime
    names = set(runtime.chain) | {os.path.normpath(c) for c in runtime.chain}
    for package, version in board.dpkg("libedgetpu1-"):
        if names & set(board.dpkg_files(package)):
            runtime.package, runtime.version, runtime.flavour_from = package, version, "dpkg"
            break
    if runtime.package:
        runtime.flavour = runtime.package.rsplit("-", 1)[-1] if runtime.package.endswith(("-std", "-max")) else None
    else:
        text = "/".join(runtime.chain)
        runtime.flavour = "max" if "/direct/" in text else "std" if "/throttled/" in text else None
        runtime.flavour_from = "path" if runtime.flavour else None
    return runtime


def runtime(board: Board) -> Runtime:
    return board.memo("libedgetpu", find)


def check(board: Board) -> list[Result]:
    found = runtime(board)
    data = {"library": board.library, "path": found.path, "chain": found.chain, "looked": found.looked}
    if found.path is None:
        where = ", ".join(found.looked)
        message = f"{board.library} not found (looked in {where})"
        needed = bool(board.devices or board.has_pcie)
        make = error if needed else warning
        return [make("libedgetpu.found", message + ("" if needed else "; no Edge TPU is connected either"),
                     INSTALL_LIBEDGETPU, subject="libedgetpu", data=data)]
    shown = " -> ".join(found.chain)
    try:
        content = read_bytes_checked(board.at(found.chain[-1]), "Edge TPU runtime library", "model",
                                     key="platform.delegate_library", max_bytes=MAX_LIBRARY)
    except FileProblem as exc:
        return [error("libedgetpu.found", f"{shown}: {exc.reason}", INSTALL_LIBEDGETPU, subject="libedgetpu",
                      data=data)]
    if PLUGIN_SYMBOL not in content:
        return [error("libedgetpu.found", f"{shown} is not a TFLite delegate plugin (no {PLUGIN_SYMBOL.decode()})",
                      INSTALL_LIBEDGETPU, subject="libedgetpu", data=data)]
    return [ok("libedgetpu.found", f"{shown}", subject="libedgetpu", data=data), _flavour(board, found)]


def _flavour(board: Board, found: Runtime) -> Result:
    data = {"package": found.package, "version": found.version, "flavour": found.flavour,
            "from": found.flavour_from, "platform.clock": board.clock}
    what = (f"{found.package} {found.version}" if found.package
            else f"{found.flavour or 'unknown'} build (from its path)")
    if found.flavour is None:
        return info("libedgetpu.flavour", f"{found.path}: not from a libedgetpu1-std/-max package and its path does "
                    "not say which clock it runs", subject="libedgetpu", data=data)
    if found.flavour != board.clock:
        return warning("libedgetpu.flavour", f"{what} runs the {found.flavour} clock, but platform.clock={board.clock}",
                       f"sudo apt-get install libedgetpu1-{board.clock} (it replaces the other), or set "
                       f"platform.clock={found.flavour}", subject="libedgetpu", data=data)
    return ok("libedgetpu.flavour", f"{what} ({found.flavour} clock, as platform.clock says)", subject="libedgetpu",
              data=data)
