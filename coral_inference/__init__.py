"""coral_inference: one composable configuration for Coral Edge TPU inference.

Importing this package does no work: no hardware probing, no file I/O, no heavy imports.
"""

__version__ = "0.1.0"

# Hydra's version_base, set here and nowhere else.
HYDRA_VERSION_BASE = "1.3"

# Where the shipped conf/ tree lives inside the installed package.
CONF_MODULE = "coral_inference.conf"

__all__ = ["__version__", "HYDRA_VERSION_BASE", "CONF_MODULE"]
