"""The console: a local, server-rendered web UI over the data layer and the migration.

Build it with :func:`pmkv.console.app.create_app`; ``pmkv console`` serves it with uvicorn.
"""
