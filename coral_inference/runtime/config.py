"""The design note's configuration API, kept where the note puts it: ``RuntimeDescriptor`` (one layer:
``from_file``, ``from_env``, ``from_cli``; ``RuntimeDescriptor.merge(*layers)``; ``to_runtime_config()``)
and ``RuntimeConfig`` (the frozen, validated result). The configuration layer owns them
(config/descriptor.py, config/frozen.py): these are the same objects, not copies, and stay public."""

from ..config.descriptor import RuntimeDescriptor, merge
from ..config.frozen import Frozen, RuntimeConfig, freeze, frozen_class, frozen_from_data, thaw

__all__ = ["Frozen", "RuntimeConfig", "RuntimeDescriptor", "freeze", "frozen_class", "frozen_from_data", "merge",
           "thaw"]
