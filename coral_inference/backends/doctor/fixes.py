"""The fixes doctor names, in one place (docs/board.md explains each beside its check)."""

from __future__ import annotations

CORAL_APT = ("add the Coral apt repository (echo 'deb https://packages.cloud.google.com/apt coral-edgetpu-stable main' "
             "| sudo tee /etc/apt/sources.list.d/coral-edgetpu.list; curl -fsSL "
             "https://packages.cloud.google.com/apt/doc/apt-key.gpg | sudo apt-key add -; sudo apt-get update)")
INSTALL_LIBEDGETPU = (f"{CORAL_APT}, then 'sudo apt-get install libedgetpu1-std' (or libedgetpu1-max), or set "
                      "platform.delegate_library to the library's full path")
GASKET_SOURCE = ("build gasket-dkms from source: 'sudo apt-get install git devscripts debhelper dh-dkms "
                 "linux-headers-$(uname -r) && git clone https://github.com/google/gasket-driver && cd gasket-driver "
                 "&& debuild -us -uc -tc -b && sudo dpkg -i ../gasket-dkms_*.deb', then reboot (kernels >= 6.13 "
                 "also need the no_llseek fix: feranick/gasket-driver's 1.0-18.4 or later)")
INSTALL_GASKET = f"{CORAL_APT}, then 'sudo apt-get install gasket-dkms' and reboot"
APEX_RULE_LINE = 'SUBSYSTEM=="apex", MODE="0660", GROUP="apex"'
APEX_RULE = (f"echo '{APEX_RULE_LINE}' | sudo tee /etc/udev/rules.d/65-apex.rules; sudo groupadd -f apex; "
             "then reboot (or 'sudo udevadm control --reload-rules && sudo udevadm trigger')")
USB_RULE = ("reinstall the Edge TPU runtime, whose package brings the rule for 1a6e:089a and 18d1:9302 "
            "('sudo apt-get install --reinstall libedgetpu1-std'), or write one: echo 'SUBSYSTEMS==\"usb\", "
            "ATTRS{idVendor}==\"1a6e\", GROUP=\"plugdev\"' and the same for 18d1 into "
            "/etc/udev/rules.d/60-edgetpu.rules; then 'sudo udevadm control --reload-rules && sudo udevadm trigger' "
            "and plug the Accelerator in again")
USB3 = ("plug the Accelerator into a USB 3 port (blue, or marked SS) with the USB 3 cable it came with, "
        "not through a USB 2 hub; on USB 2 it runs about 3x slower")
PAGE_SIZE_PI5 = ("the apex driver needs a kernel with 4 KiB pages: on a Raspberry Pi 5 add 'kernel=kernel8.img' "
                 "to /boot/firmware/config.txt and reboot (the default kernel_2712.img uses 16 KiB pages)")
PAGE_SIZE = "the apex driver needs a kernel with 4 KiB pages: boot a 4 KiB-page kernel for this board"
COOLING = ("cool the Edge TPU (a heatsink or airflow over the module), or run libedgetpu1-std instead of "
           "libedgetpu1-max (the max clock runs hotter); the driver lowers the clock at each trip point")
NUMPY1 = "pip install 'numpy<2' beside tflite-runtime (2.14 and older are built for numpy 1.x)"
INTERPRETER = "pip install ai-edge-litert (the default dependency), or tflite-runtime with 'numpy<2'"
RUN_ONCE = ("the firmware is loaded by libedgetpu on first open: run 'coral-run backends=edgetpu_single' once; "
            "it needs write access to the USB device (the udev rule, group plugdev) and, in a container, the whole "
            "/dev/bus/usb mapped (-v /dev/bus/usb:/dev/bus/usb), since the device reappears with a new id and path")
LIBEDGETPU_BUILD = ("install the libedgetpu built for your interpreter's TensorFlow version (feranick/libedgetpu "
                    "releases name it: 16.0tf2.17.1 pairs with tflite-runtime 2.17.1), or the interpreter version "
                    "the library was built for")


def relogin(group: str) -> str:
    return f"log out and in again (or reboot) so that the session gets group {group}"


def add_to_group(user: str, group: str) -> str:
    return f"sudo usermod -aG {group} {user}, then log out and in again"
