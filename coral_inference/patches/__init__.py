"""Built-in patches, one module each (see runtime/patches.py for the order they are applied in).

Nothing is imported or registered here: runtime/patches.py loads a built-in patch module only when
its name is in the `patches` map.
"""
