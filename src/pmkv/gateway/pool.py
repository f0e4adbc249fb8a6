"""Dedicated engine connections for /multi-exec: one per transaction, a few kept idle.

MULTI/EXEC must not share the multiplexed connection (other requests' commands would
land inside the transaction), and concurrent transactions must not share one either
(SRH's "MULTI calls can not be nested" bug), so each request borrows its own.
"""

from __future__ import annotations

import asyncio

from pmkv.gateway.config import EngineAddress
from pmkv.gateway.engine_conn import RespConnection, open_connection


class DedicatedPool:
    def __init__(
        self, address: EngineAddress, keep_idle: int, connect_timeout: float, max_open: int = 64
    ) -> None:
        self.address = address
        self.keep_idle = keep_idle
        self.connect_timeout = connect_timeout
        self._idle: list[RespConnection] = []
        self.in_use = 0
        # At most this many transactions hold an engine connection at once; more wait.
        self._slots = asyncio.Semaphore(max_open)

    async def acquire(self) -> RespConnection:
        """An idle connection, or a new one (raises EngineUnavailable)."""
        await self._slots.acquire()
        try:
            while self._idle:
                conn = self._idle.pop()
                if not conn.closed:
                    self.in_use += 1
                    return conn
            conn = await open_connection(self.address, self.connect_timeout)
        except BaseException:
            self._slots.release()
            raise
        self.in_use += 1
        return conn

    def release(self, conn: RespConnection) -> None:
        self.in_use -= 1
        self._slots.release()
        if conn.closed:
            return
        if len(self._idle) < self.keep_idle:
            self._idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()
