"""pmkv: move a project-management app from JSON files to an Upstash-compatible local KV."""

__version__ = "0.1.0"
