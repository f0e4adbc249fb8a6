"""``pmkv serve``: run the gateway in the foreground."""

from __future__ import annotations

import logging
import secrets

import click

from pmkv.cli.context import err_console, load_settings
from pmkv.gateway.config import DEFAULT_MAX_BODY, GatewayConfig, is_loopback
from pmkv.gateway.errors import ConfigError


@click.command("serve")
@click.option(
    "--host", default=None, help="Address to listen on (default: PMKV_HOST, else 127.0.0.1)."
)
@click.option(
    "--port", type=int, default=None, help="Port to listen on (default: PMKV_PORT, else 8080)."
)
@click.option("--token", default=None, help="Bearer token clients must send (PMKV_TOKEN).")
@click.option(
    "--readonly-token", default=None, help="Token allowed read commands only (PMKV_READONLY_TOKEN)."
)
@click.option(
    "--engine-url",
    default=None,
    help="Engine to front: redis://host:port[/db] or unix:///path.sock.",
)
@click.option(
    "--max-body",
    type=int,
    default=DEFAULT_MAX_BODY,
    show_default=True,
    help="Largest request body in bytes.",
)
@click.option(
    "--idle-timeout",
    type=float,
    default=75.0,
    show_default=True,
    help="Seconds an idle keep-alive connection is kept.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes sharing the port, each with its own engine connection.",
)
@click.option(
    "--request-timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds a client has to send a whole request.",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
def serve_command(
    host: str | None,
    port: int | None,
    token: str | None,
    readonly_token: str | None,
    engine_url: str | None,
    max_body: int,
    idle_timeout: float,
    request_timeout: float,
    workers: int,
    log_level: str,
) -> None:
    """Run the Upstash-compatible REST gateway in the foreground."""
    from pmkv.gateway.server import serve

    settings = load_settings()
    host = host or settings.gateway_host
    token = token or settings.token
    if not token:
        if not is_loopback(host):
            raise ConfigError(
                f"refusing to listen on {host} without a token",
                hint="pass --token or set PMKV_TOKEN",
            )
        token = secrets.token_urlsafe(24)
        err_console.print(f"no token given; generated one for this run: [bold]{token}[/]")
    engine_port = settings.engine_port or 6379
    config = GatewayConfig(
        token=token,
        readonly_token=readonly_token or settings.readonly_token,
        host=host,
        port=port or settings.gateway_port,
        engine_url=engine_url or f"redis://127.0.0.1:{engine_port}",
        max_body=max_body,
        idle_timeout=idle_timeout,
        request_timeout=request_timeout,
        workers=workers,
    )
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    serve(config, progress=lambda line: err_console.print(line, highlight=False))


def register(cli: click.Group) -> None:
    cli.add_command(serve_command)
