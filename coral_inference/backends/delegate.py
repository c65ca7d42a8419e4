"""Loading the Edge TPU delegate, and turning its terse failures into actionable messages.

``load_delegate(library, {"device": "usb:0", ...})`` (the TFLite external-delegate plugin ABI). libedgetpu
says nothing useful when it fails (``ValueError: Failed to load delegate from libedgetpu.so.1``); what
discovery saw about the device (its /dev node missing, not accessible, firmware not loaded) is what makes
the message actionable. Options other than ``device`` only take effect with an indexed device spec.
"""

from __future__ import annotations

from typing import Any

from ..errors import BoardError
from .devices import EdgeTpuDevice

INSTALL_RUNTIME = (
    "install the Edge TPU runtime (Debian/Ubuntu: add the Coral apt repository "
    "https://packages.cloud.google.com/apt coral-edgetpu-stable, then 'sudo apt-get install libedgetpu1-std' "
    "or libedgetpu1-max), or set platform.delegate_library to the library's full path"
)


def installed_runtime() -> dict[str, Any]:
    """The installed libedgetpu package and its clock variant (std / max), from dpkg's status."""
    from ..versions import libedgetpu_package

    package = libedgetpu_package()
    clock = None
    if package:
        name = package.split()[0]
        clock = "max" if name.endswith("-max") else "std" if name.endswith("-std") else None
    return {"package": package, "clock": clock}


def open_library(library: str, key: str) -> None:
    """dlopen the library first: a missing one then gives our message, not the interpreter module's
    half-built Delegate object (whose finalizer prints an ignored AttributeError)."""
    import ctypes

    try:
        handle = ctypes.CDLL(library)
    except OSError as exc:
        raise BoardError(
            f"{key}: cannot load the Edge TPU delegate library {library!r} ({exc}): the Edge TPU runtime is not "
            f"installed or not on the library path. Next: {INSTALL_RUNTIME}."
        ) from None
    if not hasattr(handle, "tflite_plugin_create_delegate"):
        raise BoardError(
            f"{key}: {library!r} is not a TFLite delegate plugin (no tflite_plugin_create_delegate symbol); "
            f"expected the Edge TPU runtime libedgetpu.so.1. Next: {INSTALL_RUNTIME}."
        )


def load(provider: Any, library: str, device: EdgeTpuDevice, options: dict[str, Any], key: str) -> Any:
    """One delegate for ``device`` (``options`` as passed, ``device`` included when set); an error
    with the cause and the next step on failure
    (a BoardError: its message ends with the pointer to coral-runtime doctor)."""
    open_library(library, key)
    try:
        return provider.load_delegate(library, options)
    except (OSError, ValueError, RuntimeError) as exc:
        raise BoardError(failure_message(library, device, exc, key)) from exc


def failure_message(library: str, device: EdgeTpuDevice, exc: Exception, key: str) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, OSError) or "cannot open shared object" in text:
        return (f"{key}: cannot load the Edge TPU delegate library {library!r} ({text}): the Edge TPU runtime "
                f"is not installed or not on the library path. Next: {INSTALL_RUNTIME}.")
    where = f"{device.spec} ({device.path}{', node ' + device.node if device.node else ''})"
    head = f"{key}: the Edge TPU delegate {library!r} could not open {where}: {text}."
    if device.state == "missing-node":
        return (
            f"{head} Discovery saw the device in sysfs but not its node {device.node}: the driver is not loaded "
            "(PCIe: install gasket-dkms and reboot) or, in a container, the device is not mapped "
            f"(docker run --device {device.node or '/dev/apex_0'}; USB: -v /dev/bus/usb:/dev/bus/usb --privileged)."
        )
    if device.state == "no-permission":
        return (
            f"{head} This user may not open {device.node}: install the udev rules that come with the Edge TPU "
            "runtime and add the user to the group (PCIe: 'apex', USB: 'plugdev'), then log in again."
        )
    if device.state == "uninitialized":
        return (
            f"{head} The USB Accelerator has no firmware loaded yet (id 1a6e:089a); libedgetpu loads it on first "
            "open, which needs write access to the USB device (udev rules of the Edge TPU runtime, group "
            "'plugdev') and, in a container, the whole /dev/bus/usb mapped since the id changes after loading."
        )
    return (
        f"{head} The device was found and its node is accessible, so it is most likely busy: another process "
        f"holds it (check with: lsof {device.node or '/dev/apex_0'}), or a device spec names a device libedgetpu "
        "does not see (check 'coral-runtime devices'). Stop the other user or pick another device."
    )
