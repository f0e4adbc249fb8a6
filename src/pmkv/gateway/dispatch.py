"""Routing and command execution: HTTP request → engine command(s) → JSON reply."""

from __future__ import annotations

import logging
from binascii import b2a_base64
from collections.abc import Callable, Coroutine
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from hiredis import pack_command

from pmkv.gateway import paths, response
from pmkv.gateway.auth import READONLY, Auth
from pmkv.gateway.coerce import (
    Command,
    EntryError,
    batch_of,
    command_of,
    parse_batch,
    parse_command,
    parse_json,
    to_command,
)
from pmkv.gateway.encode import entries_json, result_body
from pmkv.gateway.errors import BadRequest, EngineUnavailable, GatewayError, MethodNotAllowed
from pmkv.gateway.lua import ScriptAliases, scan_withtype
from pmkv.gateway.policy import REFUSED, refusal
from pmkv.gateway.resp import Reply, RespError, pack, pack_into, to_resp2

if TYPE_CHECKING:
    from pmkv.gateway.request import Request, Slot
    from pmkv.gateway.server import GatewayState

log = logging.getLogger("pmkv.gateway")

_LUA = frozenset({b"eval", b"eval_ro", b"evalsha", b"evalsha_ro", b"script"})
# Commands prepare() must look at; anything else goes to the engine untouched.
_SPECIAL = frozenset(REFUSED) | _LUA | {b"xread", b"xreadgroup", b"scan"}
_SPECIAL_STR = frozenset(name.decode() for name in _SPECIAL)
_first = itemgetter(0)
_PATH_METHODS = frozenset({b"GET", b"POST", b"PUT", b"HEAD"})
_BODY_METHODS = frozenset({b"POST", b"PUT"})
_OK = b"OK"


class Dispatcher:
    def __init__(self, state: GatewayState) -> None:
        self.state = state
        self.engine = state.engine
        self.auth = Auth(state.config.token, state.config.readonly_token)
        self.aliases = ScriptAliases(state.shared_aliases)

    # --- entry point ------------------------------------------------------------
    def handle(self, req: Request, slot: Slot) -> None:
        try:
            if req.method == b"POST" and req.url == b"/":  # the hot path: POST / [cmd]
                access = self.auth.access(req.auth, None)
                b64, resp2 = _format(req)
                value = parse_json(req.body)
                packed = self._fast_pack(value) if access != READONLY else None
                if packed is not None:
                    self.engine.send(packed, 1, self._single_done(None, b64, resp2, slot))
                else:
                    self.single(command_of(value), access, b64, resp2, slot)
            else:
                self._route(req, slot)
        except GatewayError as exc:
            slot.error(exc)

    def _route(self, req: Request, slot: Slot) -> None:
        method = req.method
        if method == b"OPTIONS":
            slot.send(204, b"", extra=response.PREFLIGHT)
            return
        path, query = paths.split_target(req.url)
        segs = paths.segments(path)
        first = segs[0].lower() if segs else b""
        if not segs and method in (b"GET", b"HEAD"):
            slot.send(200, self.state.health_body())
            return
        if first == b"healthz" and len(segs) == 1:
            self.spawn(self.state.healthz(slot))
            return
        reserved = first in (b"pipeline", b"multi-exec") and len(segs) == 1
        if not segs or reserved:
            access = self.auth.access(req.auth, paths.query_token(query))
            if method != b"POST":
                where = path.decode("latin-1")
                raise MethodNotAllowed(
                    f"ERR method {method.decode('latin-1')} not allowed on {where}", hint="use POST"
                )
            b64, resp2 = _format(req)
            if not segs:
                self.single(parse_command(req.body), access, b64, resp2, slot)
            elif first == b"pipeline":
                self.pipeline(req.body, access, b64, resp2, slot)
            else:
                if resp2:
                    raise BadRequest("ERR resp2 format is not available for /multi-exec")
                self.spawn(self.multi(parse_batch(req.body), access, b64, slot))
            return
        args, token = paths.query_args(query)
        access = self.auth.access(req.auth, token)
        if method not in _PATH_METHODS:
            raise MethodNotAllowed(
                f"ERR method {method.decode('latin-1')} not allowed",
                hint="use GET, POST, PUT or HEAD",
            )
        if first in (b"subscribe", b"psubscribe", b"monitor"):
            if method not in (b"GET", b"POST"):
                raise MethodNotAllowed(
                    f"ERR method {method.decode('latin-1')} not allowed on an event stream",
                    hint="use POST (or GET) with Accept: text/event-stream",
                )
            target = b"/".join(segs[1:])
            self.spawn(self.state.streams.run(slot, first, target, access))
            return
        # The raw body is the value; query arguments follow it (POST /set/k?EX=100).
        cmd = [*segs, req.body, *args] if req.body and method in _BODY_METHODS else segs + args
        b64, resp2 = _format(req)
        self.single(cmd, access, b64, resp2, slot)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        self.state.spawn(coro)

    # --- commands ---------------------------------------------------------------
    def prepare(self, cmd: Command, access: int) -> tuple[Reply | None, bytes | None]:
        """(a reply given without the engine, or None; the SHA a SCRIPT LOAD must answer)."""
        name = cmd[0].lower()
        if access != READONLY and name not in _SPECIAL:
            return None, None  # the usual case: straight to the engine
        refused = refusal(name, cmd)
        if refused is not None:
            return (RespError(refused) if refused else _OK), None
        if access == READONLY and not self.engine.commands.allowed_readonly(name, cmd):
            return RespError(self.engine.commands.noperm(name)), None
        if name in _LUA:
            return None, self.aliases.rewrite(name, cmd)
        if name == b"scan":
            emulated = scan_withtype(cmd)
            if emulated is not None:
                cmd[:] = emulated
        return None, None

    @staticmethod
    def _fast_pack(entry: Any) -> bytes | None:
        """RESP for a plain command, straight from its JSON values, or None.

        hiredis packs str items as UTF-8 in C and raises TypeError on anything a JSON
        body may hold besides strings (bool, null, list, object), which then take the
        slow path through :func:`to_command`; numbers are already str lexemes.
        """
        if type(entry) is list and entry:
            head = entry[0]
            if type(head) is str and head.lower() not in _SPECIAL_STR:
                try:
                    return bytes(pack_command(tuple(entry)))
                except (TypeError, UnicodeEncodeError):
                    return None
        return None

    def single(self, cmd: Command, access: int, b64: bool, resp2: bool, slot: Slot) -> None:
        local, override = self.prepare(cmd, access)
        done = self._single_done(override, b64, resp2, slot)
        if local is not None:
            done(local)
        else:
            self.engine.send(pack(cmd), 1, done)

    @staticmethod
    def _single_done(
        override: bytes | None, b64: bool, resp2: bool, slot: Slot
    ) -> Callable[[Any], None]:
        """The callback that turns one engine reply into the HTTP response."""

        def done(reply: Any) -> None:
            if type(reply) is bytes:
                if override is not None:
                    reply = override
                elif b64 and reply != _OK:
                    # The usual answer (a value under base64): straight to bytes.
                    slot.send(200, b'{"result":"' + b2a_base64(reply, newline=False) + b'"}')
                    return
            elif isinstance(reply, RespError):
                slot.send(400, response.error_body(reply.message))
                return
            elif isinstance(reply, GatewayError):
                slot.error(reply)
                return
            if resp2:
                slot.send(200, to_resp2(reply), response.OCTETS)
            else:
                slot.send(200, result_body(reply, b64))

        return done

    def pipeline(self, body: bytes, access: int, b64: bool, resp2: bool, slot: Slot) -> None:
        entries = batch_of(parse_json(body))
        if access != READONLY and entries and self._pipeline_fast(entries, b64, resp2, slot):
            return
        results: list[Reply] = [None] * len(entries)
        positions: list[int] = []
        parts: list[bytes] = []
        overrides: dict[int, bytes] = {}
        fast = access != READONLY
        for i, entry in enumerate(entries):
            # _fast_pack inlined: this loop runs once per pipelined command.
            if (
                fast
                and type(entry) is list
                and entry
                and type(entry[0]) is str
                and entry[0].lower() not in _SPECIAL_STR
            ):
                try:
                    parts.append(pack_command(tuple(entry)))
                    positions.append(i)
                    continue
                except (TypeError, UnicodeEncodeError):
                    pass
            try:
                cmd = to_command(entry)
            except EntryError as exc:
                results[i] = RespError(exc.message)
                continue
            local, override = self.prepare(cmd, access)
            if local is not None:
                results[i] = local
                continue
            if override is not None:
                overrides[i] = override
            positions.append(i)
            pack_into(parts, cmd)

        def done(replies: Any) -> None:
            if isinstance(replies, GatewayError):
                # Still an array, one error per entry: the Python client iterates the
                # body of a pipeline and would crash on a bare {"error"} object.
                failed = RespError(replies.message)
                slot.send(replies.http_status, entries_json([failed] * len(results), False))
                return
            if len(positions) == 1:
                replies = [replies]
            for pos, reply in zip(positions, replies, strict=True):
                results[pos] = (
                    overrides[pos] if pos in overrides and type(reply) is bytes else reply
                )
            if resp2:
                slot.send(200, b"".join(to_resp2(r) for r in results), response.OCTETS)
            else:
                slot.send(200, entries_json(results, b64))

        if positions:
            self.engine.send(b"".join(parts), len(positions), done)
        else:
            done([])

    def _pipeline_fast(self, entries: list[Any], b64: bool, resp2: bool, slot: Slot) -> bool:
        """Send a pipeline of plain commands in one go; False if any entry needs care.

        Plain means: every entry a non-empty list of strings whose name is not special;
        hiredis packs them all in C and raises TypeError on anything else (bool, null,
        nested values), which sends the batch to the entry-by-entry path.
        """
        if set(map(type, entries)) != {list}:
            return False
        try:
            # map/itemgetter keep this loop in C; an empty entry or a non-str name raises.
            if not _SPECIAL_STR.isdisjoint(map(str.lower, map(_first, entries))):
                return False
            payload = b"".join(map(pack_command, map(tuple, entries)))
        except (IndexError, AttributeError, TypeError, UnicodeEncodeError):
            return False
        n = len(entries)

        def done(replies: Any) -> None:
            if isinstance(replies, GatewayError):
                failed = RespError(replies.message)
                slot.send(replies.http_status, entries_json([failed] * n, False))
                return
            if n == 1:
                replies = [replies]
            if resp2:
                slot.send(200, b"".join(to_resp2(r) for r in replies), response.OCTETS)
            else:
                slot.send(200, entries_json(replies, b64))

        self.engine.send(payload, n, done)
        return True

    async def multi(
        self, entries: list[Command | EntryError], access: int, b64: bool, slot: Slot
    ) -> None:
        """MULTI ... EXEC on a dedicated connection; a refused entry discards it all."""
        if not entries:
            slot.send(200, b"[]")
            return
        commands: list[Command] = []
        overrides: dict[int, bytes] = {}
        for i, entry in enumerate(entries):
            if isinstance(entry, EntryError):
                slot.send(400, response.error_body(entry.message))
                return
            local, override = self.prepare(entry, access)
            if local is not None:
                if isinstance(local, RespError):
                    slot.send(400, response.error_body(local.message))
                    return
                slot.send(400, response.error_body("ERR this command cannot run in /multi-exec"))
                return
            if override is not None:
                overrides[i] = override
            commands.append(entry)
        pool = self.state.multi_pool
        try:
            conn = await pool.acquire()
        except EngineUnavailable as exc:
            slot.error(exc)
            return
        try:
            replies = await conn.call([b"MULTI"], *commands, [b"EXEC"])
        except EngineUnavailable as exc:
            slot.error(exc)
            return
        except BaseException:
            conn.close()  # cancelled mid-transaction: never reuse this connection
            raise
        finally:
            pool.release(conn)
        executed = replies[-1]
        if isinstance(executed, RespError):
            slot.send(400, response.error_body(executed.message))
        elif not isinstance(executed, list):
            slot.send(400, response.error_body("EXECABORT Transaction discarded"))
        else:
            for i, override in overrides.items():
                if type(executed[i]) is bytes:
                    executed[i] = override
            slot.send(200, entries_json(executed, b64))


def _format(req: Request) -> tuple[bool, bool]:
    """(base64 on, resp2 on) from the request's headers."""
    enc = req.encoding
    b64 = enc is not None and enc.strip().lower() == b"base64"
    fmt = req.fmt
    if fmt is None:
        return b64, False
    fmt = fmt.strip().lower()
    if fmt == b"json" or not fmt:
        return b64, False
    if fmt != b"resp2":
        raise BadRequest(
            f"ERR unsupported Upstash-Response-Format {fmt.decode('latin-1')!r}",
            hint="use json or resp2",
        )
    if b64:
        raise BadRequest(
            "ERR Upstash-Response-Format resp2 cannot be combined with base64",
            hint="drop the Upstash-Encoding header",
        )
    return False, True
