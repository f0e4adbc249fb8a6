"""How the console is served: address, access token, page size; the bind rule."""

from __future__ import annotations

from dataclasses import dataclass

from pmkv.console.errors import BindRefusedError
from pmkv.gateway.config import is_loopback

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8090


@dataclass(frozen=True)
class ConsoleOptions:
    """Serving options (the data settings stay in :class:`pmkv.settings.Settings`)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    # When set, every request must carry it (cookie after ``/?token=...``, or a bearer
    # header). Required to listen on anything but loopback.
    token: str | None = None
    page_size: int = 50


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1, ``[::1]``)."""
    return is_loopback(host.strip("[]").lower())


def check_bind(options: ConsoleOptions) -> None:
    """Refuse to listen beyond this machine unless a token protects the console."""
    if is_loopback_host(options.host) or options.token:
        return
    raise BindRefusedError(
        f"refusing to serve the console on {options.host}:{options.port} without a token: "
        "anyone who can reach that address could read and edit every record",
        hint="pass --token <secret> (and open /?token=<secret> once), or keep the default "
        "--host 127.0.0.1",
    )
