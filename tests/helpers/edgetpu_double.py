"""The Edge TPU timing double (tests/helpers/edgetpu_double.c): build it, and what it sees of a model.

    import edgetpu_double                      # tests: on sys.path; bench/: sys.path gets tests/helpers
    library = edgetpu_double.build(folder)     # folder/libedgetpu_double.so (Unavailable: no C compiler)
    edgetpu_double.signatures(model_path)      # the model_ms table keys of its edgetpu-custom-op nodes
    edgetpu_double.write_table(path, {signature: ms})
    edgetpu_double.expected_output(input_array, output_index, shape, dtype)  # what the double writes

Load it like libedgetpu: ``platform.delegate_library=<library>`` and delegate options such as
``backends.<name>.delegate_options={device_ms: 2.6, device_root: <fake tree>}`` (the C file's header lists
them; docs/contributing.md shows a whole rehearsal). No pytest here: bench/ imports this module too.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

SOURCE = Path(__file__).with_name("edgetpu_double.c")
LIBRARY = "libedgetpu_double.so"


class Unavailable(RuntimeError):
    """No C compiler on this machine: the double cannot be built (tests skip, benchmarks say so)."""


def compiler() -> str | None:
    return shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def compile_library(source: Path, out: Path) -> Path:
    """``source`` (C) built into the shared library ``out``; Unavailable without a compiler, RuntimeError
    with the compiler's message when the build fails."""
    cc = compiler()
    if cc is None:
        raise Unavailable(f"no C compiler (cc/gcc/clang) to build {source.name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([cc, "-shared", "-fPIC", "-O2", "-pthread", "-o", str(out), str(source)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"building {source.name} failed:\n{proc.stderr}")
    return out


def build(folder: Path) -> Path:
    """The double built into ``folder`` (rebuilt only when the source changed since the last build there)."""
    folder = Path(folder)
    out = folder / LIBRARY
    stamp = folder / (LIBRARY + ".sha256")
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    if out.is_file() and stamp.is_file() and stamp.read_text() == digest:
        return out
    compile_library(SOURCE, out)
    stamp.write_text(digest)
    return out


def _shape(tensor) -> str:
    return "x".join(str(int(d)) for d in (tensor.ShapeAsNumpy().tolist() if tensor.ShapeLength() else []))


def signatures(model_path: str | Path) -> list[str]:
    """The signature ("<input shapes>-><output shapes>", the double's model_ms key) of each
    edgetpu-custom-op node of a .tflite file, in the order of its operators."""
    import tflite

    model = tflite.Model.GetRootAsModel(Path(model_path).read_bytes(), 0)
    found = []
    for s in range(model.SubgraphsLength()):
        graph = model.Subgraphs(s)
        for i in range(graph.OperatorsLength()):
            op = graph.Operators(i)
            if model.OperatorCodes(op.OpcodeIndex()).CustomCode() != b"edgetpu-custom-op":
                continue
            ins = ",".join(_shape(graph.Tensors(op.Inputs(j))) for j in range(op.InputsLength()))
            outs = ",".join(_shape(graph.Tensors(op.Outputs(j))) for j in range(op.OutputsLength()))
            found.append(f"{ins}->{outs}")
    return found


def write_table(path: Path, times: dict[str, float]) -> Path:
    """A model_ms table file: one "<signature> <ms>" line per entry."""
    path = Path(path)
    path.write_text("".join(f"{sig} {ms}\n" for sig, ms in times.items()))
    return path


def read_log(path: Path) -> list[dict[str, str]]:
    """The double's log file (option ``log``) as dicts: {"event": "create"|"claim"|"destroy", key: value}."""
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        event, _, rest = line.partition(" ")
        rows.append({"event": event, **dict(kv.split("=", 1) for kv in rest.split(" ") if "=" in kv)})
    return rows


def input_seed(data: bytes) -> int:
    """FNV-1a (32 bit) over 64 bytes sampled evenly from the node's first input (all of them when fewer)."""
    h = 2166136261
    n = len(data)
    samples = min(n, 64)
    for i in range(samples):
        h ^= data[i * n // samples]
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def expected_output(first_input, output_index: int, shape, dtype):
    """The array the double writes into output ``output_index`` of a claimed node whose first input
    holds ``first_input`` (a numpy array): a fixed pattern rotated by the input's seed."""
    import numpy as np

    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    e = np.arange(count, dtype=np.uint64)
    values = ((e * np.uint64(2654435761) + np.uint64(output_index * 40503)) >> np.uint64(8)) & np.uint64(0xFF)
    if dtype == np.float16:
        pattern = np.zeros(count, dtype)
    elif dtype.kind == "f":
        pattern = (values.astype(np.float64) / 256.0).astype(dtype)
    elif dtype == np.bool_:
        pattern = (values & np.uint64(1)).astype(dtype)
    else:
        pattern = values.astype(dtype)
    shift = input_seed(np.ascontiguousarray(first_input).tobytes()) % count if count else 0
    return np.roll(pattern, -shift).reshape(shape)


def main(argv: list[str] | None = None) -> int:
    """python tests/helpers/edgetpu_double.py build DIR | tree ROOT [--usb N] [--pci N] | signatures MODEL..."""
    import argparse

    parser = argparse.ArgumentParser(prog="edgetpu_double.py", description="The Edge TPU timing double.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build the double; prints the library's path").add_argument("folder", type=Path)
    tree = sub.add_parser("tree", help="a fake device tree (sysfs + /dev) with N USB / PCIe Edge TPUs")
    tree.add_argument("root", type=Path)
    tree.add_argument("--usb", type=int, default=0)
    tree.add_argument("--pci", type=int, default=0)
    sub.add_parser("signatures", help="each model's model_ms keys").add_argument("models", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "build":
        print(build(args.folder))
    elif args.command == "tree":
        from device_tree import fake_tree

        print(fake_tree(args.root, pci=args.pci, usb_ready=args.usb))
    else:
        for model in args.models:
            for signature in signatures(model):
                print(f"{signature}  # {model.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
