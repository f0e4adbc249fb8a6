"""The root of every pmkv exception.

Each subpackage (engine, gateway, store, migrate, ...) defines one base class that
derives from :class:`PmkvError`; concrete errors subclass that base and carry the
process exit code the CLI should use (and, for the gateway, an HTTP status).
Foreign exceptions (``OSError``, ``redis.RedisError``, ``httpx.HTTPError``...) are
translated into these at one boundary per package with ``raise ... from exc``.
"""

from __future__ import annotations


class ExitCode:
    """Process exit codes, as listed in the CLI contract (docs/cli.md)."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    DIFFERENCES = 3
    INVALID_SOURCE = 4
    UNREACHABLE = 5


class PmkvError(Exception):
    """Base of every error pmkv raises on purpose.

    ``hint`` tells the user what to do about it; the CLI prints it under the message.
    """

    exit_code: int = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(PmkvError):
    """The command was called with arguments that cannot work."""

    exit_code = ExitCode.USAGE


class UnreachableError(PmkvError):
    """A store or engine that the command needs does not answer."""

    exit_code = ExitCode.UNREACHABLE
