"""Errors of the data layer: one base class, :class:`StoreError`, and its kinds."""

from __future__ import annotations

from pmkv.errors import ExitCode, PmkvError


class StoreError(PmkvError):
    """Base of every error raised by :mod:`pmkv.store`."""


class InvalidJSONError(StoreError):
    """A file or KV value is not valid JSON (or not UTF-8)."""

    exit_code = ExitCode.INVALID_SOURCE


class InvalidRecordError(StoreError):
    """A record fails the app's rules; ``problems`` lists each failing field."""

    exit_code = ExitCode.INVALID_SOURCE

    def __init__(self, message: str, *, problems: list[object], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems


class InvalidNameError(StoreError):
    """A project, epic or story name cannot be used as a key or folder name."""

    exit_code = ExitCode.USAGE


class NotFoundError(StoreError):
    """The project, epic or story asked for does not exist."""


class AlreadyExistsError(StoreError):
    """A project or epic of that name exists already (creating never replaces)."""

    exit_code = ExitCode.USAGE


class StoreUnreachableError(StoreError):
    """The KV REST endpoint does not answer (or refuses our token)."""

    exit_code = ExitCode.UNREACHABLE


class RemoteURLRefusedError(StoreError):
    """A local-only operation was pointed at a non-local REST URL."""

    exit_code = ExitCode.USAGE


class NotAvailableError(StoreError):
    """A configuration the router recognises but pmkv does not offer yet."""

    exit_code = ExitCode.USAGE


class StoreLimitError(StoreError):
    """A store rule ran out of room (e.g. story number 999 is taken)."""
