"""Errors of ``pmkv generate``."""

from __future__ import annotations

from pmkv.errors import ExitCode, PmkvError


class GenerateError(PmkvError):
    """Base of every error the generator raises."""


class InvalidCountsError(GenerateError):
    """The requested numbers of projects, epics or stories cannot make a valid tree."""

    exit_code = ExitCode.USAGE


class TargetNotEmptyError(GenerateError):
    """The output folder already holds files the generator will not overwrite."""

    exit_code = ExitCode.USAGE


class WriteFailedError(GenerateError):
    """The file system refused a write (permissions, full disk, a file where a folder goes)."""
