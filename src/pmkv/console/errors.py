"""Errors of the console: one base class, :class:`ConsoleError`, and its kinds."""

from __future__ import annotations

from pmkv.errors import ExitCode, PmkvError


class ConsoleError(PmkvError):
    """Base of every error raised by :mod:`pmkv.console` (a bad request unless a kind
    says otherwise)."""

    http_status = 400


class BindRefusedError(ConsoleError):
    """Asked to listen beyond this machine without a token."""

    exit_code = ExitCode.USAGE


class CsrfError(ConsoleError):
    """A form arrived without the session's CSRF token."""

    http_status = 403


class NotFoundPage(ConsoleError):
    """The page names a project, epic, story, person or run that does not exist."""

    http_status = 404
