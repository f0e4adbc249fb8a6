"""Errors of the migration toolkit; each carries the CLI exit code it maps to."""

from __future__ import annotations

from pmkv.errors import ExitCode, PmkvError


class MigrateError(PmkvError):
    """Base of every error raised by :mod:`pmkv.migrate`."""


class StoreUnreachable(MigrateError):
    """The REST store did not answer (connection refused, timeout, DNS)."""

    exit_code = ExitCode.UNREACHABLE


class StoreRejected(MigrateError):
    """The REST store answered with an error (bad token, unknown command...)."""


class RemoteRefused(MigrateError):
    """A writing command was pointed at a non-local REST URL without --allow-remote."""

    exit_code = ExitCode.USAGE


class SourceMissing(MigrateError):
    """The pm/ folder (or a named project) does not exist."""

    exit_code = ExitCode.USAGE


class SourceChanged(MigrateError):
    """A source file changed (became invalid) while a migration was reading it."""


class WorkerFailed(MigrateError):
    """A story worker process died (killed, out of memory) or could not start."""


class BackupError(MigrateError):
    """A backup could not be created, found, or restored (e.g. a checksum mismatch)."""


class RollbackError(MigrateError):
    """A run cannot be rolled back (no journal, or keys changed since the run)."""


class ArchiveError(MigrateError):
    """``pm/`` cannot be archived or un-archived in its current state."""


class ExportError(MigrateError):
    """The KV cannot be exported to files (target exists, unknown project, write error)."""


class VerifyFailed(MigrateError):
    """Files and KV differ (raised by commands that require a passing verify)."""

    exit_code = ExitCode.DIFFERENCES


class StackUnavailable(MigrateError):
    """No store is configured and the local stack cannot be started."""

    exit_code = ExitCode.UNREACHABLE


class MigrateAborted(MigrateError):
    """The user declined the confirmation; nothing was written."""
