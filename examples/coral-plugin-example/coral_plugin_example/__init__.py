"""coral-plugin-example: an example coral_inference plugin. Importing it does nothing heavy."""

__version__ = "0.1.0"
