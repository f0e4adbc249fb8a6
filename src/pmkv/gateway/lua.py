"""Upstash's ``allow-key-locking`` Lua flag, which stock engines reject.

``@upstash/ratelimit`` >= 2.1 starts its scripts with ``#!lua flags=allow-key-locking``.
We drop that flag before EVAL / EVAL_RO / SCRIPT LOAD and remember which SHA1 the
client computed (of the original text) so EVALSHA / EVALSHA_RO / SCRIPT EXISTS with
that SHA1 reach the normalized script.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

FLAG = b"allow-key-locking"
_MAX_ALIASES = 10_000


def sha1_hex(script: bytes) -> bytes:
    return hashlib.sha1(script).hexdigest().encode("ascii")


def normalize(script: bytes) -> bytes | None:
    """The script without the flag, or None when there was nothing to strip."""
    if not script.startswith(b"#!") or FLAG not in script:
        return None
    end = script.find(b"\n")
    first, rest = (script, b"") if end < 0 else (script[:end], script[end:])
    if FLAG not in first:
        return None
    words = first.split()
    out = []
    for word in words:
        if word.startswith(b"flags="):
            flags = [f for f in word[6:].split(b",") if f and f != FLAG]
            if flags:
                out.append(b"flags=" + b",".join(flags))
        else:
            out.append(word)
    return b" ".join(out) + rest


class ScriptAliases:
    """SHA1 of the original script → SHA1 of the normalized one (bounded).

    With several worker processes, ``shared`` names an append-only file every worker
    writes its new pairs to (one short O_APPEND write each, so lines never interleave)
    and reads on a miss: a SCRIPT LOAD answered by one worker is known to all before
    the client can send its EVALSHA.
    """

    def __init__(self, shared: Path | None = None) -> None:
        self._alias: dict[bytes, bytes] = {}
        self._fd = os.open(shared, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600) if shared else None
        self._offset = 0

    def _remember(self, orig_sha: bytes, new_sha: bytes) -> None:
        if len(self._alias) >= _MAX_ALIASES:
            self._alias.pop(next(iter(self._alias)))
        self._alias[orig_sha] = new_sha

    def add(self, original: bytes, normalized: bytes) -> bytes:
        """Remember the pair; return the original's SHA1."""
        orig_sha = sha1_hex(original)
        new_sha = sha1_hex(normalized)
        if self._alias.get(orig_sha) != new_sha:
            self._remember(orig_sha, new_sha)
            if self._fd is not None:
                os.write(self._fd, orig_sha + b" " + new_sha + b"\n")
        return orig_sha

    def _catch_up(self) -> bool:
        """Read pairs other workers appended since the last look; True if any."""
        if self._fd is None:
            return False
        size = os.fstat(self._fd).st_size
        if size <= self._offset:
            return False
        data = os.pread(self._fd, size - self._offset, self._offset)
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.splitlines():
            orig_sha, _, new_sha = line.partition(b" ")
            self._remember(orig_sha, new_sha)
        return bool(complete)

    def resolve(self, sha: bytes) -> bytes:
        key = sha.lower()
        found = self._alias.get(key)
        if found is None and self._catch_up():
            found = self._alias.get(key)
        return sha if found is None else found

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def rewrite(self, name: bytes, cmd: list[bytes]) -> bytes | None:
        """Rewrite ``cmd`` in place; return the SHA1 a SCRIPT LOAD must answer, if any.

        ``name`` is the lower-case command name.
        """
        if name in (b"eval", b"eval_ro"):
            if len(cmd) > 1:
                fixed = normalize(cmd[1])
                if fixed is not None:
                    self.add(cmd[1], fixed)
                    cmd[1] = fixed
        elif name in (b"evalsha", b"evalsha_ro"):
            if len(cmd) > 1 and (self._alias or self._fd is not None):
                cmd[1] = self.resolve(cmd[1])
        elif name == b"script" and len(cmd) > 2:
            sub = cmd[1].lower()
            if sub == b"load":
                fixed = normalize(cmd[2])
                if fixed is not None:
                    orig_sha = self.add(cmd[2], fixed)
                    cmd[2] = fixed
                    return orig_sha
            elif sub == b"exists" and (self._alias or self._fd is not None):
                cmd[2:] = [self.resolve(s) for s in cmd[2:]]
        return None


# SCAN ... WITHTYPE is Upstash-only ([cursor, [key1, type1, ...]]); emulated with one
# read-only script so keys and types come from the same moment.
_SCAN_WITHTYPE = b"""local r = redis.call('SCAN', unpack(ARGV))
local out = {}
for _, k in ipairs(r[2]) do
  out[#out + 1] = k
  out[#out + 1] = redis.call('TYPE', k)['ok']
end
return {r[1], out}"""


def scan_withtype(cmd: list[bytes]) -> list[bytes] | None:
    """``SCAN c ... WITHTYPE`` → an EVAL_RO that answers the same, or None if no WITHTYPE."""
    rest = [a for a in cmd[1:] if a.lower() != b"withtype"]
    if len(rest) == len(cmd) - 1:
        return None
    return [b"EVAL_RO", _SCAN_WITHTYPE, b"0", *rest]
