"""pmkv.gateway: an Upstash-Redis-REST-compatible HTTP server in front of a real engine."""

from pmkv.gateway.config import GatewayConfig
from pmkv.gateway.errors import GatewayError

__all__ = ["GatewayConfig", "GatewayError"]
