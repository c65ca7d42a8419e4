"""RuntimeConfig is built in config/frozen.py (the configuration layer owns its frozen result);
runtime code and the tests keep importing it from here."""

from ..config.frozen import Frozen, RuntimeConfig, freeze, frozen_class, frozen_from_data, thaw

__all__ = ["Frozen", "RuntimeConfig", "freeze", "frozen_class", "frozen_from_data", "thaw"]
