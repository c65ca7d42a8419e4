"""The devices of each backend as the plan sees them, and each model's device time on them.

A backend's devices: an Edge TPU backend's ``devices`` list (one device per spec), or ``all`` (those found
under platform.device_root, else ``min_devices``, said so); ``auto`` is the first Edge TPU found, else the CPU;
a CPU backend has ``workers``. A segmented model takes one device per segment (the first N of its backend).
A model's device time, per device it uses, in this order: ``--device-ms`` (given), a bench measurement of the
same files on the same kind of device (--bench), Coral's published figure by file name (Edge TPU only); else
unknown, with the reason and the way to give it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.keys import backend_key, model_key


@dataclass
class Pool:
    name: str
    kind: str  # the backend kind (edgetpu, auto, cpu, or a plugin's)
    edgetpu: bool  # the plan runs it on Edge TPUs
    devices: list[str]  # one label per device (or CPU worker)
    devices_source: str
    pcie: bool = False
    known: bool = True  # False: a plugin's backend kind the plan cannot size
    key: str = ""  # backends.<name> or backends.extra.<name> (config/keys.py): what messages call it


@dataclass
class Time:
    ms: list[float] | None  # device-ms per inference on each device it uses (None: unknown)
    source: str
    segmented: bool = False
    identity: tuple[str, ...] = field(default=())


def pools(config: Any, found: list[Any]) -> dict[str, Pool]:
    """name -> Pool for every active backend (``found``: the EdgeTpuDevices discovered)."""
    from ..backends.specs import spec_list

    out = {}
    root = config.platform.device_root
    for name in config.active_backends():
        spec = config.backend_spec(name)
        key = backend_key(config, name)
        if spec.kind == "cpu" or (spec.kind == "auto" and not found):
            why = f"{key}.workers={spec.workers}" + (" (backends=auto: no Edge TPU found)" if spec.kind == "auto" else "")
            out[name] = Pool(name, spec.kind, False, [f"cpu:{i}" for i in range(spec.workers)], why)
        elif spec.kind == "auto":
            out[name] = Pool(name, "auto", True, [found[0].spec], "backends=auto: the first Edge TPU found",
                             pcie=found[0].type == "pci")
        elif spec.kind == "edgetpu":
            out[name] = _edgetpu_pool(name, spec, spec_list(spec.devices), found, root, key)
        else:
            out[name] = Pool(name, spec.kind, False, [], f"a {spec.kind!r} backend (a plugin's kind)", known=False)
        out[name].key = key
    return out


def _edgetpu_pool(name: str, spec: Any, specs: list[str] | None, found: list[Any], root: str, key: str) -> Pool:
    from ..backends.specs import select
    from ..errors import BackendError

    if specs is None:
        if found:
            return Pool(name, "edgetpu", True, [d.spec for d in found],
                        f"{key}.devices=all: {len(found)} found under platform.device_root={root}",
                        pcie=all(d.type == "pci" for d in found))
        n = max(spec.min_devices, 1)
        return Pool(name, "edgetpu", True, [f"edgetpu:{i}" for i in range(n)],
                    f"{key}.devices=all: none found under platform.device_root={root}; planned with "
                    f"min_devices={n}")
    try:
        chosen = select(found, specs)
        labels, pcie, why = [d.spec for d in chosen], all(d.type == "pci" for d in chosen), f"{key}.devices"
    except BackendError:
        labels = [s or f"edgetpu:{i}" for i, s in enumerate(specs)]
        pcie = all(s.startswith("pci") for s in specs)
        why = f"{key}.devices (not all found under platform.device_root={root}: planned as written)"
    return Pool(name, "edgetpu", True, labels, why, pcie=pcie)


def identity(model: Any) -> tuple[tuple[str, ...], list[str]]:
    """(sha256 of each file, the file paths) of a model config; () when a file is not readable here."""
    from ..files import FileProblem, sha256_checked

    paths = list(model.segments) or [model.path]
    hashes = []
    for path in paths:
        if str(path).startswith("builtin:"):
            return (), paths
        try:
            hashes.append(sha256_checked(Path(path).expanduser(), "model file", "model"))
        except FileProblem:
            return (), paths
    return tuple(hashes), paths


def model_time(name: str, model: Any, pool: Pool, measurements: list[Any], given: dict[str, float],
               link: str) -> Time:
    from . import measured, published

    ident, paths = identity(model)
    segmented = len(paths) > 1 or bool(model.segments)
    files = [Path(str(p)).name for p in paths]
    key = model_key(name)
    width = len(paths) if segmented else 1
    for label in (name, *files):
        if label in given:
            return Time([given[label]] * width, f"given: --device-ms {label}={given[label]:g}", segmented, ident)
    found = measured.best(measurements, ident, pool.edgetpu) if ident else None
    if found is not None:
        return Time([found.ms] * width, found.source, segmented, ident)
    if not pool.edgetpu:
        return Time(None, f"{key}: no published CPU figure (Coral publishes Edge TPU times): measure it with "
                          f"coral-run run.mode=bench backends={pool.name} and pass --bench RUN_DIR, or give "
                          f"--device-ms {name}=MS", segmented, ident)
    if not segmented and not _compiled(paths[0]):
        return Time(None, f"{key}.path {paths[0]!r} is not compiled for the Edge TPU (no edgetpu-custom-op): "
                          "on an Edge TPU backend it runs on the CPU; measure it (--bench) or give --device-ms",
                    segmented, ident)
    times = [published.lookup(p, link, pool.pcie) for p in paths]
    if any(t.ms is None for t in times):
        reason = next(t.source for t in times if t.ms is None)
        return Time(None, f"{key}: {reason}", segmented, ident)
    return Time([t.ms for t in times], "; ".join(dict.fromkeys(t.source for t in times)), segmented, ident)


def _compiled(path: str) -> bool:
    """Edge-TPU-compiled: the file holds edgetpu-custom-op (a file not here: its name says _edgetpu)."""
    from ..backends.models import EDGETPU_CUSTOM_OP
    from ..files import FileProblem, read_bytes_checked

    try:
        return EDGETPU_CUSTOM_OP in read_bytes_checked(Path(path).expanduser(), "model file", "model")
    except FileProblem:
        return "_edgetpu" in Path(path).name
