"""The TFLite interpreter run.interpreter picks here, and whether it fits numpy and libedgetpu.

Judged from the installed distributions' versions, importing none of them (a test gives the versions):
tflite-runtime 2.14 and older are built for numpy 1.x and crash beside numpy 2 (``auto`` then skips
them); libedgetpu is built against one TensorFlow version, and a delegate built for another may fail
to load ("Failed to load delegate from libedgetpu.so.1", nothing more). Google's libedgetpu 16.0 was
released with tflite-runtime 2.5.0.post1; feranick's builds name their TensorFlow version
(``16.0tf2.17.1``). ai-edge-litert's version does not name its TensorFlow version: not judged.
"""

from __future__ import annotations

import re

from ...interpreter import CHOICES, MODULES, numpy2_conflict
from .board import Board
from .fixes import INTERPRETER, LIBEDGETPU_BUILD, NUMPY1
from .libedgetpu import runtime
from .result import Result, error, info, ok, skipped, warning

SYMPTOM = "the delegate may fail to load ('Failed to load delegate from libedgetpu.so.1')"


def pick(board: Board) -> tuple[str | None, str | None, list[str]]:
    """(choice, version, skipped: why others were passed over) as run.interpreter would pick here."""
    numpy = board.version("numpy")
    names = list(MODULES) if board.interpreter == "auto" else [board.interpreter]
    passed = []
    for name in names:
        version = board.version(MODULES[name][1])
        if version is None:
            continue
        conflict = numpy2_conflict(version, numpy) if name == "tflite_runtime" else None
        if conflict:
            passed.append(conflict)
            continue
        return name, version, passed
    return None, None, passed


def interpreter(board: Board) -> tuple[str | None, str | None, list[str]]:
    return board.memo("interpreter", pick)


def check(board: Board) -> list[Result]:
    return [_package(board), _fit(board)]


def _package(board: Board) -> Result:
    if board.interpreter not in CHOICES:
        return error("interpreter.package", f"run.interpreter={board.interpreter!r} is none of {', '.join(CHOICES)}",
                     "set run.interpreter=auto", subject="interpreter")
    choice, version, passed = interpreter(board)
    numpy = board.version("numpy")
    data = {"run.interpreter": board.interpreter, "module": choice, "version": version, "numpy": numpy,
            "passed_over": passed}
    if choice is None:
        if passed:
            return error("interpreter.package", passed[0], NUMPY1, subject="interpreter", data=data)
        wanted = "no TFLite interpreter is installed" if board.interpreter == "auto" else \
            f"run.interpreter={board.interpreter} but {MODULES[board.interpreter][1]} is not installed"
        return error("interpreter.package", wanted, INTERPRETER, subject="interpreter", data=data)
    found = f"{choice} {version} (run.interpreter={board.interpreter}), numpy {numpy or 'not installed'}"
    if passed:
        return warning("interpreter.package", f"{found}; tflite-runtime was passed over: {passed[0]}", NUMPY1,
                       subject="interpreter", data=data)
    return ok("interpreter.package", found, subject="interpreter", data=data)


def _tf(version: str | None) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", version or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _fit(board: Board) -> Result:
    lib = runtime(board)
    choice, version, _ = interpreter(board)
    if lib.path is None or choice is None:
        return skipped("interpreter.libedgetpu", "needs both libedgetpu and an interpreter", subject="interpreter")
    if lib.version is None:
        return skipped("interpreter.libedgetpu", f"{lib.path} has no package version to compare",
                       subject="interpreter")
    data = {"libedgetpu": lib.version, "module": choice, "version": version}
    built = re.search(r"tf(\d+\.\d+)", lib.version, re.I)
    have = _tf(version) if choice in ("tflite_runtime", "tensorflow") else None
    pair = f"{lib.package} {lib.version} with {choice} {version}"
    if have is None:
        return info("interpreter.libedgetpu", f"{pair}: {choice}'s version does not say which TensorFlow it is "
                    f"built from; if {SYMPTOM}: {LIBEDGETPU_BUILD}", subject="interpreter", data=data)
    if built:
        if _tf(built.group(1)) == have:
            return ok("interpreter.libedgetpu", f"{pair}: both TensorFlow {built.group(1)}", subject="interpreter",
                      data=data)
        return warning("interpreter.libedgetpu", f"{pair}: libedgetpu is built for TensorFlow {built.group(1)}, "
                       f"the interpreter is {have[0]}.{have[1]}; {SYMPTOM}", LIBEDGETPU_BUILD, subject="interpreter",
                       data=data)
    if choice == "tflite_runtime" and have == (2, 5):
        return ok("interpreter.libedgetpu", f"{pair}: the pair Coral released together", subject="interpreter",
                  data=data)
    return info("interpreter.libedgetpu", f"{pair}: Coral released libedgetpu {lib.version} with tflite-runtime "
                f"2.5.0.post1; if {SYMPTOM}: {LIBEDGETPU_BUILD}", subject="interpreter", data=data)
