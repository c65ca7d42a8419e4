"""Configuration: the schema, the layers it is built from, and validation."""
