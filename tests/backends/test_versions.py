"""coral_inference/versions.py: the libedgetpu package read from a dpkg status file."""

from coral_inference.versions import libedgetpu_package as _libedgetpu

STATUS = b"""Package: foo
Status: install ok installed
Description: mentions Package: libedgetpu1-std in passing

Package: libedgetpu1-std
Status: deinstall ok config-files
Version: 15.0

Package: libedgetpu1-max
Status: install ok installed
Architecture: arm64
Version: 16.0

Package: zlib1g
Status: install ok installed
"""


def test_the_installed_libedgetpu_entry_wins(tmp_path):
    status = tmp_path / "status"
    status.write_bytes(STATUS)
    assert _libedgetpu(str(status)) == "libedgetpu1-max 16.0"


def test_no_installed_entry_and_no_file(tmp_path):
    status = tmp_path / "status"
    status.write_bytes(STATUS.replace(b"install ok installed\nArchitecture", b"deinstall ok\nArchitecture"))
    assert _libedgetpu(str(status)) is None
    status.write_bytes(b"Package: libedgetpu1-std\nStatus: install ok installed")  # first entry, no Version
    assert _libedgetpu(str(status)) == "libedgetpu1-std ?"
    assert _libedgetpu(str(tmp_path / "missing")) is None
