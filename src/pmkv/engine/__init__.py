"""The engine manager: find, start, inspect and stop a local Valkey/Redis engine.

``manager`` owns the engine's lifecycle, ``stack`` adds the gateway on top
(``pmkv up`` / ``pmkv down``). Libraries here never print; they return dataclasses.
"""
