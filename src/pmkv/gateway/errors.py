"""Errors of the gateway: one base class, each subclass carries its HTTP status."""

from __future__ import annotations

from pmkv.errors import ExitCode, PmkvError


class GatewayError(PmkvError):
    """Base of every error the gateway raises on purpose.

    ``http_status`` is what a request that hits this error answers; the body is always
    JSON ``{"error": message}``.
    """

    http_status: int = 400


class BadRequest(GatewayError):
    """The request cannot be turned into a command (bad JSON, bad argument...)."""


class Unauthorized(GatewayError):
    """Missing or wrong token."""

    http_status = 401


class NotFound(GatewayError):
    http_status = 404


class MethodNotAllowed(GatewayError):
    http_status = 405


class RequestTimeout(GatewayError):
    http_status = 408


class PayloadTooLarge(GatewayError):
    """Body over the configured cap (Upstash's wording; 400 like Upstash's docs suggest)."""


class HeadersTooLarge(GatewayError):
    http_status = 431


class EngineUnavailable(GatewayError):
    """The engine behind the gateway does not answer (down, refused, dropped)."""

    http_status = 503
    exit_code = ExitCode.UNREACHABLE


class ConfigError(GatewayError):
    """The gateway cannot start with this configuration."""

    exit_code = ExitCode.USAGE


class BindError(GatewayError):
    """The listening address is busy or not allowed."""

    exit_code = ExitCode.FAILURE
