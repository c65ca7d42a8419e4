"""The interpreter provider lives in coral_inference/interpreter.py (a ground module: which TFLite
runtime is in use is a fact of the environment that config validation and plugin requirement checks
need as well as the backends); these names stay importable from here for the backends."""

from ..interpreter import CHOICES, InterpreterProvider, get_provider, interpreter_in_use

__all__ = ["CHOICES", "InterpreterProvider", "get_provider", "interpreter_in_use"]
