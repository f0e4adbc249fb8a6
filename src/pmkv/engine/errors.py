"""Errors of the engine manager; every one names the file, port or process involved."""

from __future__ import annotations

from pmkv.errors import ExitCode, PmkvError


class EngineError(PmkvError):
    """Base of everything the engine manager raises on purpose."""


class BinaryNotFound(EngineError):
    """No usable engine binary (PMKV_ENGINE wrong, wheel missing, nothing on PATH)."""


class DataDirError(EngineError):
    """The data folder cannot be created or written."""


class PortBusy(EngineError):
    """A port we were told to use is taken by something that is not ours."""

    exit_code = ExitCode.USAGE


class StartFailed(EngineError):
    """A process we started died or never answered; the message carries its log tail."""


class NotRunning(EngineError):
    """The command needs the managed engine (or gateway), and it is not running."""

    exit_code = ExitCode.UNREACHABLE


class Busy(EngineError):
    """Another pmkv process holds the data folder's lock, or a foreign engine uses it."""
