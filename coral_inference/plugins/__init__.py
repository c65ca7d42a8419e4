"""The plugin layer, at the bottom of the package: the contract (PluginSpec, one Protocol per
extension kind), discovery and requirement checks, and the one Registry. It imports nothing of
coral_inference but the ground modules (errors, lazy)."""
